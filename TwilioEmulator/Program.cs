var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGet("/", () => TypedResults.Text("WarmTransfer Twilio emulator"));

app.Run();
