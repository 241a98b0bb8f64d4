using Microsoft.Extensions.Options;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using WarmTransfer.AgentPortal.Agents;

namespace WarmTransfer.AgentPortal;

/// <param name="ExpiresAt">When the sign-in ends, however active the agent is.</param>
/// <param name="Role">Agent or Supervisor: a supervisor's page is the wallboard.</param>
public sealed record SessionView(bool SignedIn, string? Id, string? DisplayName, DateTimeOffset? ExpiresAt, string? Role = null);

/// <summary>
/// Signing in and out. A sign-in is rate limited per client address, refused (429) while the agent id or the address is
/// locked out after repeated failures, and answers the same for an unknown id as for a wrong password, in the same time.
/// </summary>
public static class AccountApi
{
    /// <summary>The rate-limiter policy of sign-in: a token bucket per client address.</summary>
    public const string SignInRateLimit = "sign-in";

    public static IEndpointRouteBuilder MapAccountApi(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/account");
        account.MapGet("/session", async (HttpContext http, IOptionsMonitor<AgentDirectoryOptions> directory) =>
            await http.AuthenticateAsync() is { Succeeded: true, Principal: { } user } result
                ? TypedResults.Ok(new SessionView(true, user.FindFirstValue(ClaimTypes.NameIdentifier), user.FindFirstValue(ClaimTypes.Name),
                    result.Properties.ExpiresUtc, directory.CurrentValue.Find(user.FindFirstValue(ClaimTypes.NameIdentifier)!)?.Role ?? AgentRoles.Agent))
                : TypedResults.Ok(new SessionView(false, null, null, null)));
        account.MapPost("/sign-in", SignInAsync)
            .RequireRateLimiting(SignInRateLimit)
            .WithMetadata(new RequestSizeLimitAttribute(SignInOptions.MaxBodyBytes));
        account.MapPost("/sign-out", async (HttpContext http, AgentSessions sessions) =>
        {
            await sessions.EndAsync(http.User);
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.NoContent();
        }).RequireAuthorization();
        return app;
    }

    /// <summary>The address a request came from: the client's own, or the one a trusted proxy forwarded.</summary>
    public static string ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    public static IResult TooManyAttempts(HttpResponse response, TimeSpan retryAfter)
    {
        var seconds = (long)Math.Ceiling(Math.Max(retryAfter.TotalSeconds, 1));
        response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem($"Too many sign-in attempts. Try again in {seconds} s.", statusCode: StatusCodes.Status429TooManyRequests);
    }

    private static async Task<IResult> SignInAsync(
        [FromForm] string agentId, [FromForm] string password, HttpContext http, AgentCredentials credentials, SignInGuard guard,
        AgentSessions sessions)
    {
        var address = ClientAddress(http);
        if (await guard.LockedForAsync(agentId, address) is var locked && locked > TimeSpan.Zero)
        {
            return TooManyAttempts(http.Response, locked);
        }

        if (await credentials.VerifyAsync(agentId, password) is not { } agent)
        {
            await guard.FailedAsync(agentId, address);
            return TypedResults.Problem("Unknown agent or wrong password.", statusCode: StatusCodes.Status401Unauthorized);
        }

        await guard.SucceededAsync(agentId);
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, agent.Id),
                new Claim(ClaimTypes.Name, agent.DisplayName),
                new Claim(AgentSessions.SessionClaim, await sessions.StartAsync(agent.Id)),
            ],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        return TypedResults.NoContent();
    }
}
