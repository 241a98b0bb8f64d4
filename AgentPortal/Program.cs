using WarmTransfer.AgentPortal;
using WarmTransfer.AgentPortal.Live;
using WarmTransfer.AgentPortal.Wallboard;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAgentPortalServices();

var app = builder.Build();

app.UseForwardedHeaders();
app.UsePortalSecurityHeaders();
app.UseStatusCodePages();
app.MapDefaultEndpoints();
app.UseDefaultFiles();
// The page asks whether it changed each time it loads (an ETag answer when it did not): a page from before a deployment
// never runs against the new API.
app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = file => file.Context.Response.Headers.CacheControl = "no-cache" });
app.UseRateLimiter();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.UseAgentHubOriginCheck();
app.MapAccountApi();
app.MapPortalApi();
app.MapHub<AgentHub>(AgentHub.Path, options => options.CloseOnAuthenticationExpiration = true);
app.MapWallboard();

app.Run();
