using WarmTransfer.CallCenter;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCallCenterInfrastructure();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseDefaultFiles();
app.UseStaticFiles();

app.Run();
