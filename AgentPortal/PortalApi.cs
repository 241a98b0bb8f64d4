using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Twilio.Jwt.AccessToken;
using WarmTransfer.AgentPortal.Agents;
using WarmTransfer.AgentPortal.Live;
using WarmTransfer.CallCenter;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.Routing;
using WarmTransfer.CallCenter.State;
using WarmTransfer.CallCenter.Telephony;

namespace WarmTransfer.AgentPortal;

/// <param name="Reason">Why the agent is away: one of the configured reasons (optional).</param>
public sealed record PresenceRequest(string Status, string? Reason = null);

/// <param name="Colleague">The colleague to bring in; empty for the next free colleague (the transfer waits ahead of every caller).</param>
/// <param name="Note">Shown to the colleague while they ring and in the call; at most <see cref="PortalApi.MaxNoteLength"/> characters.</param>
/// <param name="Leave">A cold transfer: the agent leaves at once, and the customer hears hold music until the colleague answers.</param>
public sealed record TransferRequest(string? Colleague = null, string? Note = null, bool Leave = false);

public sealed record HoldRequest(bool Hold);

/// <param name="Mode"><c>twilio</c> or <c>emulator</c>.</param>
/// <param name="SdkUrl">The voice SDK the page loads.</param>
/// <param name="TokenRefreshMs">How long before its token expires the device asks for a new one (the SDK's tokenRefreshMs).</param>
/// <param name="EmulatorUrl">The emulator's page, where a developer places simulated customer calls (emulator mode only).</param>
/// <param name="HeartbeatMs">How often the page tells the portal it and its softphone are alive.</param>
public sealed record SoftphoneConfiguration(string Mode, string SdkUrl, long TokenRefreshMs, string? EmulatorUrl, long HeartbeatMs);

/// <summary>
/// The signed-in agent's API: token, presence, wrap-up, call state, transfer, hold, leave, return to queue and end. An agent acts only on the call
/// session they are in, and only through it: the portal never calls Twilio. Every POST carries an anti-forgery token.
/// </summary>
public static class PortalApi
{
    /// <summary>The longest note an agent can write for the colleague they transfer to.</summary>
    public const int MaxNoteLength = 280;

    public static IEndpointRouteBuilder MapPortalApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/antiforgery", (HttpContext http, IAntiforgery antiforgery) =>
        {
            var tokens = antiforgery.GetAndStoreTokens(http);
            return TypedResults.Ok(new { token = tokens.RequestToken, headerName = tokens.HeaderName });
        });

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
        api.MapPost("/return-to-queue", ReturnToQueueAsync);
        api.MapPost("/wrap-up/ready", ReadyAsync);
        api.MapPost("/wrap-up/more-time", MoreTimeAsync);
        return app;
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

    /// <summary>The agent as routing sees them, with their activity, and the away reasons they can choose from.</summary>
    private static async Task<IResult> MeAsync(ClaimsPrincipal user, AgentStore agents, IOptions<PortalOptions> portal)
    {
        var state = await agents.GetAsync(AgentId(user));
        return TypedResults.Ok(new
        {
            id = state.AgentId, displayName = user.FindFirstValue(ClaimTypes.Name), status = state.Status, presence = state.Presence, reason = state.Reason,
            since = state.Since, wrapUpEndsAt = state.WrapUpEndsAt, softphone = state.Softphone, conference = state.SessionId,
            awayReasons = portal.Value.AwayReasons,
        });
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
    private static IResult Softphone(IOptions<TwilioOptions> options, IOptions<PortalOptions> portal, IOptions<PresenceOptions> presence)
    {
        var refreshMs = (long)portal.Value.TokenRefreshBeforeExpiry.TotalMilliseconds;
        var heartbeatMs = (long)presence.Value.HeartbeatInterval.TotalMilliseconds;
        return options.Value.ApiBaseUrl is { Length: > 0 } emulator
            ? TypedResults.Ok(new SoftphoneConfiguration("emulator", new Uri(new Uri(emulator), "/sdk/voice-sdk.js").AbsoluteUri, refreshMs,
                new Uri(emulator).AbsoluteUri, heartbeatMs))
            : TypedResults.Ok(new SoftphoneConfiguration("twilio", "/lib/twilio.min.js", refreshMs, null, heartbeatMs));
    }

    private static async Task<IResult> PresenceAsync(PresenceRequest request, ClaimsPrincipal user, AgentStore agents, CallSessions calls,
        IOptions<PortalOptions> portal)
    {
        if (request.Status is not (AgentStatus.Available or AgentStatus.Away))
        {
            return TypedResults.Problem("status must be available or away.", statusCode: StatusCodes.Status400BadRequest);
        }

        var reason = string.IsNullOrWhiteSpace(request.Reason) ? null : request.Reason.Trim();
        if (reason is not null && (request.Status != AgentStatus.Away || !portal.Value.AwayReasons.Contains(reason, StringComparer.Ordinal)))
        {
            return TypedResults.Problem($"A reason is given only for away, and is one of: {string.Join(", ", portal.Value.AwayReasons)}.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        // Free now (idle and routable): a waiting transfer or caller is offered to them, or they join the idle line; their page is told.
        var agentId = AgentId(user);
        var legId = CallSessions.NewLegId();
        // Once Redis changed, the rest is carried out even if the page stops waiting: a caller taken for the agent is offered.
        await calls.AgentChangedAsync(agentId, await agents.ChoosePresenceAsync(agentId, request.Status, reason, legId), legId, CancellationToken.None);
        return TypedResults.NoContent();
    }

    /// <summary>The agent ends their wrap-up: they are routable again at once.</summary>
    private static async Task<IResult> ReadyAsync(ClaimsPrincipal user, AgentStore agents, CallSessions calls)
    {
        var agentId = AgentId(user);
        var legId = CallSessions.NewLegId();
        if (await agents.ReadyAsync(agentId, legId) is not { } change)
        {
            return TypedResults.Problem("You are not in wrap-up.", statusCode: StatusCodes.Status409Conflict);
        }

        await calls.AgentChangedAsync(agentId, change, legId, CancellationToken.None);
        return TypedResults.NoContent();
    }

    /// <summary>The agent takes more time for their wrap-up, once.</summary>
    private static async Task<IResult> MoreTimeAsync(ClaimsPrincipal user, AgentStore agents, IAgentUpdatePublisher updates, CancellationToken cancellationToken)
    {
        var agentId = AgentId(user);
        switch (await agents.MoreTimeAsync(agentId))
        {
            case null:
                return TypedResults.Problem("You are not in wrap-up.", statusCode: StatusCodes.Status409Conflict);
            case false:
                return TypedResults.Problem("You have already taken more time for this wrap-up.", statusCode: StatusCodes.Status409Conflict);
            default:
                await updates.PublishAsync([agentId], cancellationToken);
                return TypedResults.NoContent();
        }
    }

    private static async Task<IResult> CallAsync(ClaimsPrincipal user, AgentViews views) =>
        await views.BuildAsync(AgentId(user)) is { Call: { } call } ? TypedResults.Ok(call) : TypedResults.NoContent();

    private static async Task<IResult> TransferAsync(TransferRequest request, ClaimsPrincipal user, AgentStore agents, CallSessions calls,
        IOptionsMonitor<AgentDirectoryOptions> directory, CancellationToken cancellationToken)
    {
        var agentId = AgentId(user);
        var colleague = string.IsNullOrWhiteSpace(request.Colleague) ? null : request.Colleague;
        // The directory as it is now: a colleague added to the directory file is known at once.
        if (colleague is not null && directory.CurrentValue.Find(colleague) is null)
        {
            return TypedResults.Problem($"There is no agent '{colleague}'.", statusCode: StatusCodes.Status400BadRequest);
        }

        var note = string.IsNullOrWhiteSpace(request.Note) ? null : request.Note.Trim();
        if (note?.Length > MaxNoteLength)
        {
            return TypedResults.Problem($"The note for your colleague is longer than {MaxNoteLength} characters.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (colleague == agentId)
        {
            return TypedResults.Problem("You cannot transfer a call to yourself.", statusCode: StatusCodes.Status409Conflict);
        }

        if ((await agents.GetAsync(agentId)).SessionId is not { } sessionId)
        {
            return NotInCall();
        }

        if (colleague is null)
        {
            // The next free colleague: the longest-idle one now, or the first freed, before any waiting caller.
            return Outcome(await calls.HandleAsync(sessionId, new SessionEvent.TransferRequested(agentId, null, null, note, request.Leave), cancellationToken));
        }

        var legId = CallSessions.NewLegId();
        if (!await agents.ClaimAsync(colleague, sessionId, legId))
        {
            return TypedResults.Problem($"{colleague} is not available.", statusCode: StatusCodes.Status409Conflict);
        }

        return Outcome(await calls.HandleAsync(sessionId, new SessionEvent.TransferRequested(agentId, colleague, legId, note, request.Leave),
            cancellationToken));
    }

    private static Task<IResult> CancelTransferAsync(ClaimsPrincipal user, AgentStore agents, CallSessions calls, CancellationToken cancellationToken) =>
        ActAsync(user, agents, calls, agentId => new SessionEvent.CancelTransferRequested(agentId), cancellationToken);

    private static Task<IResult> HoldAsync(HoldRequest request, ClaimsPrincipal user, AgentStore agents, CallSessions calls,
        CancellationToken cancellationToken) =>
        ActAsync(user, agents, calls, agentId => new SessionEvent.HoldRequested(agentId, request.Hold), cancellationToken);

    private static Task<IResult> LeaveAsync(ClaimsPrincipal user, AgentStore agents, CallSessions calls, CancellationToken cancellationToken) =>
        ActAsync(user, agents, calls, agentId => new SessionEvent.LeaveRequested(agentId), cancellationToken);

    /// <summary>Ends the customer's call for everyone in it.</summary>
    private static Task<IResult> EndAsync(ClaimsPrincipal user, AgentStore agents, CallSessions calls, CancellationToken cancellationToken) =>
        ActAsync(user, agents, calls, agentId => new SessionEvent.EndRequested(agentId), cancellationToken);

    /// <summary>The owner hands the customer back to the queue, at its front, for the next available agent.</summary>
    private static Task<IResult> ReturnToQueueAsync(ClaimsPrincipal user, AgentStore agents, CallSessions calls, CancellationToken cancellationToken) =>
        ActAsync(user, agents, calls, agentId => new SessionEvent.ReturnToQueueRequested(agentId), cancellationToken);

    /// <summary>
    /// The agent's action, decided on the session they are on. Accepted actions answer 202: Twilio carries them out through the
    /// worker, and the page follows the pushed view.
    /// </summary>
    private static async Task<IResult> ActAsync(ClaimsPrincipal user, AgentStore agents, CallSessions calls, Func<string, SessionEvent> action,
        CancellationToken cancellationToken)
    {
        var agentId = AgentId(user);
        return (await agents.GetAsync(agentId)).SessionId is { } sessionId
            ? Outcome(await calls.HandleAsync(sessionId, action(agentId), cancellationToken))
            : NotInCall();
    }

    private static IResult Outcome(Decision? decision) => decision switch
    {
        null => TypedResults.Problem("The call has ended.", statusCode: StatusCodes.Status409Conflict),
        { Refusal: { Kind: RefusalKind.NotInCall } refusal } => TypedResults.Problem(refusal.Message, statusCode: StatusCodes.Status403Forbidden),
        { Refusal: { } refusal } => TypedResults.Problem(refusal.Message, statusCode: StatusCodes.Status409Conflict),
        _ => TypedResults.Accepted("/api/call"),
    };

    private static IResult NotInCall() => TypedResults.Problem("You are not in a call.", statusCode: StatusCodes.Status403Forbidden);
}
