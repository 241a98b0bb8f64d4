using WarmTransfer.AgentPortal;
using WarmTransfer.AgentPortal.Live;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAgentPortalServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapPortalApi();
app.MapHub<AgentHub>(AgentHub.Path);

app.Run();
