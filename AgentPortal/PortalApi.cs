using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Twilio.Clients;
using Twilio.Jwt.AccessToken;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Rest.Api.V2010.Account.Conference;
using WarmTransfer.AgentPortal.Agents;
using WarmTransfer.CallCenter;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.Routing;
using WarmTransfer.CallCenter.State;
using WarmTransfer.CallCenter.Telephony;
using WarmTransfer.CallCenter.Voice;

namespace WarmTransfer.AgentPortal;

public sealed record PresenceRequest(string Status);

public sealed record TransferRequest(string Colleague);

public sealed record HoldRequest(bool Hold);

public sealed record SessionView(bool SignedIn, string? Id, string? DisplayName);

/// <param name="Mode"><c>twilio</c> or <c>emulator</c>.</param>
/// <param name="SdkUrl">The voice SDK the page loads.</param>
/// <param name="TokenRefreshMs">How long before its token expires the device asks for a new one (the SDK's tokenRefreshMs).</param>
/// <param name="EmulatorUrl">The emulator's page, where a developer places simulated customer calls (emulator mode only).</param>
public sealed record SoftphoneConfiguration(string Mode, string SdkUrl, long TokenRefreshMs, string? EmulatorUrl);

/// <summary>
/// The signed-in agent's API: token, presence, call state, transfer, hold and leave. An agent acts only on
/// the conference they are in; every POST carries an anti-forgery token.
/// </summary>
public static class PortalApi
{
    public static IEndpointRouteBuilder MapPortalApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/antiforgery", (HttpContext http, IAntiforgery antiforgery) =>
        {
            var tokens = antiforgery.GetAndStoreTokens(http);
            return TypedResults.Ok(new { token = tokens.RequestToken, headerName = tokens.HeaderName });
        });

        var account = app.MapGroup("/account");
        account.MapGet("/session", (ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true
            ? TypedResults.Ok(new SessionView(true, AgentId(user), user.FindFirstValue(ClaimTypes.Name)))
            : TypedResults.Ok(new SessionView(false, null, null)));
        account.MapPost("/sign-in", SignInAsync);
        account.MapPost("/sign-out", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.NoContent();
        }).RequireAuthorization();

        var api = app.MapGroup("/api").RequireAuthorization().AddEndpointFilter(ValidateAntiforgeryAsync);
        api.MapGet("/me", MeAsync);
        api.MapGet("/token", Token);
        api.MapGet("/softphone", Softphone);
        api.MapPost("/presence", PresenceAsync);
        api.MapGet("/call", CallAsync);
        api.MapPost("/transfer", TransferAsync);
        api.MapPost("/transfer/cancel", CancelTransferAsync);
        api.MapPost("/hold", HoldAsync);
        api.MapPost("/leave", LeaveAsync);
        api.MapPost("/end", EndAsync);
        return app;
    }

    private static async Task<IResult> SignInAsync(
        [FromForm] string agentId, [FromForm] string password, HttpContext http, IOptions<AgentDirectoryOptions> directory)
    {
        var agent = directory.Value.Directory.FirstOrDefault(a => a.Id == agentId);
        if (agent is null || !AgentPasswords.Verify(password, agent.PasswordHash))
        {
            return TypedResults.Problem("Unknown agent or wrong password.", statusCode: StatusCodes.Status401Unauthorized);
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, agent.Id), new Claim(ClaimTypes.Name, agent.DisplayName)],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        return TypedResults.NoContent();
    }

    private static async ValueTask<object?> ValidateAntiforgeryAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (HttpMethods.IsPost(http.Request.Method))
        {
            try
            {
                await http.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(http);
            }
            catch (AntiforgeryValidationException)
            {
                return TypedResults.Problem("The anti-forgery token is missing or invalid.", statusCode: StatusCodes.Status400BadRequest);
            }
        }

        return await next(context);
    }

    private static string AgentId(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier)!;

    private static async Task<IResult> MeAsync(ClaimsPrincipal user, AgentStore agents)
    {
        var state = await agents.GetAsync(AgentId(user));
        return TypedResults.Ok(new { id = state.AgentId, displayName = user.FindFirstValue(ClaimTypes.Name), status = state.Status, conference = state.ConferenceName });
    }

    /// <summary>A Voice AccessToken for the signed-in agent's own identity only.</summary>
    private static IResult Token(ClaimsPrincipal user, IOptions<TwilioOptions> options, IOptions<PortalOptions> portal, TimeProvider time)
    {
        var twilio = options.Value;
        // Whole seconds: the SDK rounds a fractional expiry up, which would make the token outlive its hour.
        var expires = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds()).Add(portal.Value.TokenLifetime);
        var token = new Token(twilio.AccountSid, twilio.ApiKeySid, twilio.ApiKeySecret, AgentId(user),
            expiration: expires.UtcDateTime, grants: new HashSet<IGrant> { new VoiceGrant { IncomingAllow = true } });
        return TypedResults.Ok(new { token = token.ToJwt(), identity = AgentId(user), expiresAt = expires });
    }

    /// <summary>
    /// Which voice SDK the page loads: Twilio's bundle (served by the portal) with real Twilio, the emulator's module with
    /// the emulator; the page code is the same. In emulator mode the emulator's page places simulated customer calls.
    /// </summary>
    private static IResult Softphone(IOptions<TwilioOptions> options, IOptions<PortalOptions> portal)
    {
        var refreshMs = (long)portal.Value.TokenRefreshBeforeExpiry.TotalMilliseconds;
        return options.Value.ApiBaseUrl is { Length: > 0 } emulator
            ? TypedResults.Ok(new SoftphoneConfiguration("emulator", new Uri(new Uri(emulator), "/sdk/voice-sdk.js").AbsoluteUri, refreshMs,
                new Uri(emulator).AbsoluteUri))
            : TypedResults.Ok(new SoftphoneConfiguration("twilio", "/lib/twilio.min.js", refreshMs, null));
    }

    private static async Task<IResult> PresenceAsync(PresenceRequest request, ClaimsPrincipal user, AgentStore agents, CallRouter router,
        IAgentUpdatePublisher updates, CancellationToken cancellationToken)
    {
        var agentId = AgentId(user);
        switch (request.Status)
        {
            case AgentStatus.Available:
                await agents.ChooseAvailableAsync(agentId);
                // On a call, the agent becomes available when it ends; free now, the router tells their page.
                if ((await agents.GetAsync(agentId)).Status is not (AgentStatus.Ringing or AgentStatus.InCall))
                {
                    await router.AgentFreeAsync(agentId, cancellationToken);
                    return TypedResults.NoContent();
                }

                break;
            case AgentStatus.Away:
                await agents.GoAwayAsync(agentId);
                break;
            default:
                return TypedResults.Problem("status must be available or away.", statusCode: StatusCodes.Status400BadRequest);
        }

        await updates.PublishAsync([agentId], cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> CallAsync(ClaimsPrincipal user, AgentStore agents, ConferenceStore conferences)
    {
        var conference = await agents.FindConferenceForAgentAsync(AgentId(user));
        return conference is not null && await conferences.GetAsync(conference) is { } record
            ? TypedResults.Ok(record)
            : TypedResults.NoContent();
    }

    /// <summary>The conference the agent is connected in, or a problem saying why they may not act on it.</summary>
    private static async Task<(ConferenceRecord? Record, AgentState Agent, IResult? Problem)> OwnConferenceAsync(
        ClaimsPrincipal user, AgentStore agents, ConferenceStore conferences)
    {
        var agent = await agents.GetAsync(AgentId(user));
        var record = agent.ConferenceName is { } name ? await conferences.GetAsync(name) : null;
        return record is null || agent.Status != AgentStatus.InCall
            ? (null, agent, TypedResults.Problem("You are not in a call.", statusCode: StatusCodes.Status403Forbidden))
            : (record, agent, null);
    }

    private static async Task<IResult> TransferAsync(TransferRequest request, ClaimsPrincipal user, AgentStore agents,
        ConferenceStore conferences, CallRouter router, IAgentUpdatePublisher updates, CancellationToken cancellationToken)
    {
        var (record, agent, problem) = await OwnConferenceAsync(user, agents, conferences);
        if (problem is not null)
        {
            return problem;
        }

        if (record!.TransferState is TransferState.Ringing or TransferState.Consulting)
        {
            return TypedResults.Problem("A transfer is already under way.", statusCode: StatusCodes.Status409Conflict);
        }

        if (request.Colleague == agent.AgentId || !await agents.ClaimAgentAsync(request.Colleague, record.Name))
        {
            return TypedResults.Problem($"{request.Colleague} is not available.", statusCode: StatusCodes.Status409Conflict);
        }

        await conferences.SetAsync(record.Name, ("transferAgent", request.Colleague), ("transferState", TransferState.Ringing),
            ("transferFailure", string.Empty));
        await router.DialAsync(record.Name, request.Colleague, DialRole.TransferAgent, cancellationToken);
        await updates.PublishAsync([agent.AgentId], cancellationToken);
        return TypedResults.Accepted("/api/call");
    }

    private static async Task<IResult> CancelTransferAsync(ClaimsPrincipal user, AgentStore agents, ConferenceStore conferences,
        ITwilioRestClient twilio, IAgentUpdatePublisher updates)
    {
        var (record, agent, problem) = await OwnConferenceAsync(user, agents, conferences);
        if (problem is not null)
        {
            return problem;
        }

        if (record!.TransferState != TransferState.Ringing || record.TransferAgent is null
            || (await agents.GetAsync(record.TransferAgent)).CallSid is not { } callSid)
        {
            return TypedResults.Problem("No transfer is ringing.", statusCode: StatusCodes.Status409Conflict);
        }

        // Recorded first, so the canceled leg's status callback finds the transfer cancelled rather than failed.
        await conferences.SetAsync(record.Name, ("transferState", TransferState.Cancelled));
        await CallResource.UpdateAsync(callSid, status: CallResource.UpdateStatusEnum.Canceled, client: twilio);
        await updates.PublishAsync([agent.AgentId]);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> HoldAsync(HoldRequest request, ClaimsPrincipal user, AgentStore agents, ConferenceStore conferences,
        ITwilioRestClient twilio, IOptions<TwilioOptions> options)
    {
        var (record, _, problem) = await OwnConferenceAsync(user, agents, conferences);
        if (problem is not null)
        {
            return problem;
        }

        await ParticipantResource.UpdateAsync(record!.ConferenceSid!, CallCenterTwiml.CustomerLabel, hold: request.Hold,
            holdUrl: request.Hold ? options.Value.Url(WebhookPaths.Hold) : null, client: twilio);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> LeaveAsync(ClaimsPrincipal user, AgentStore agents, ConferenceStore conferences, ITwilioRestClient twilio)
    {
        var (_, agent, problem) = await OwnConferenceAsync(user, agents, conferences);
        if (problem is not null)
        {
            return problem;
        }

        await CallResource.UpdateAsync(agent.CallSid!, status: CallResource.UpdateStatusEnum.Completed, client: twilio);
        return TypedResults.NoContent();
    }

    /// <summary>Ends the customer's call for everyone in it.</summary>
    private static async Task<IResult> EndAsync(ClaimsPrincipal user, AgentStore agents, ConferenceStore conferences, ITwilioRestClient twilio)
    {
        var (record, _, problem) = await OwnConferenceAsync(user, agents, conferences);
        if (problem is not null)
        {
            return problem;
        }

        // Recorded first, so the agents' legs leaving now are not taken for dropped agents.
        await conferences.SetAsync(record!.Name, ("ending", "true"));
        await ConferenceResource.UpdateAsync(record.ConferenceSid!, status: ConferenceResource.UpdateStatusEnum.Completed, client: twilio);
        return TypedResults.NoContent();
    }
}
