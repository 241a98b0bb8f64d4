using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using WarmTransfer.AgentPortal.Agents;

namespace WarmTransfer.AgentPortal.Wallboard;

/// <summary>The wallboard page and its data: a supervisor's only (403 for agents; the page sends someone not signed in to sign in).</summary>
public static class WallboardApi
{
    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = typeof(WallboardApi).Assembly.GetManifestResourceStream("WarmTransfer.AgentPortal.Wallboard.wallboard.html")
            ?? throw new InvalidOperationException("The wallboard page is not in the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static IEndpointRouteBuilder MapWallboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/wallboard", PageAsync);
        app.MapGet("/api/wallboard", async (WallboardFigures figures) => TypedResults.Ok(await figures.BuildAsync()))
            .RequireAuthorization(AgentRoles.SupervisorPolicy);
        app.MapHub<WallboardHub>(WallboardHub.Path, options => options.CloseOnAuthenticationExpiration = true);
        return app;
    }

    private static async Task<IResult> PageAsync(HttpContext http, IOptionsMonitor<AgentDirectoryOptions> directory)
    {
        if (await http.AuthenticateAsync() is not { Succeeded: true, Principal: { } user })
        {
            return TypedResults.Redirect("/");
        }

        if (directory.CurrentValue.Find(user.FindFirstValue(ClaimTypes.NameIdentifier)!) is not { IsSupervisor: true })
        {
            return TypedResults.Problem("The wallboard is for supervisors.", statusCode: StatusCodes.Status403Forbidden);
        }

        http.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Content(Page.Value, "text/html; charset=utf-8");
    }
}
