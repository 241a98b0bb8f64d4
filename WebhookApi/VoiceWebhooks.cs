using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using WarmTransfer.CallCenter;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.Routing;
using WarmTransfer.CallCenter.State;
using WarmTransfer.CallCenter.Telephony;
using WarmTransfer.CallCenter.Voice;

namespace WarmTransfer.WebhookApi;

/// <summary>
/// Twilio-facing routes. Each answers from Redis and a queue publish only — no Twilio REST call — and every
/// one checks the request's Twilio signature first.
/// </summary>
public static partial class VoiceWebhooks
{
    private const long MaxBodyBytes = 32 * 1024;

    /// <summary>
    /// Twilio's requests are small forms: a larger body is refused with a 400 problem before anything binds it.
    /// (A chunked body without a length is still cut off at the same size by the request size limit.)
    /// </summary>
    public static IApplicationBuilder UseVoiceRequestLimits(this IApplicationBuilder app) =>
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/voice"), voice => voice.Use(async (http, next) =>
        {
            if (http.Request.ContentLength > MaxBodyBytes)
            {
                // The unread body leaves the connection unusable: the client must not send another request on it.
                http.Response.Headers.Connection = "close";
                await TypedResults.Problem($"The request body is larger than {MaxBodyBytes} bytes.", statusCode: StatusCodes.Status400BadRequest)
                    .ExecuteAsync(http);
                return;
            }

            await next(http);
        }));

    public static IEndpointRouteBuilder MapVoiceWebhooks(this IEndpointRouteBuilder app)
    {
        var voice = app.MapGroup("/voice")
            .AddEndpointFilter<TwilioSignatureFilter>()
            .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes))
            .DisableAntiforgery();

        voice.MapPost("/incoming", IncomingAsync);
        voice.MapMethods("/hold", ["GET", "POST"], Hold);
        voice.MapPost("/agent-join", AgentJoinAsync);
        voice.MapPost("/call-status", CallStatusAsync);
        voice.MapPost("/conference-events", ConferenceEventsAsync);
        return app;
    }

    /// <summary>A customer calls: their conference is recorded, an agent claimed (or the caller queued), TwiML returned.</summary>
    private static async Task<IResult> IncomingAsync(
        [FromForm(Name = "CallSid")] string? callSid, [FromForm(Name = "From")] string? from, ConferenceStore conferences, CallRouter router,
        IOptions<TwilioOptions> options, ILogger<Program> logger, CancellationToken cancellationToken)
    {
        if (callSid is null || !CallSidFormat().IsMatch(callSid))
        {
            return TypedResults.Problem("CallSid is missing or not a Twilio call sid.", statusCode: StatusCodes.Status400BadRequest);
        }

        // The conference is named after the customer's CallSid: no personal data in the name.
        var conferenceName = callSid;
        await conferences.CreateAsync(conferenceName, callSid, from);
        await router.RouteCallerAsync(conferenceName, cancellationToken);
        logger.LogInformation("Customer call {CallSid} waits in conference {ConferenceName}", callSid, conferenceName);

        return Twiml(CallCenterTwiml.CustomerConference(conferenceName, options.Value.Url(WebhookPaths.Hold), options.Value.Url(WebhookPaths.ConferenceEvents)));
    }

    private static IResult Hold(IOptions<TwilioOptions> options) => Twiml(CallCenterTwiml.Hold(options.Value.Url(WebhookPaths.HoldMusic)));

    /// <summary>The TwiML an agent's leg runs once they accept: join the conference with the flags of their role.</summary>
    private static async Task<IResult> AgentJoinAsync(
        [FromQuery] string? conference, [FromQuery] string? agent, [FromQuery] DialRole? role, ConferenceStore conferences)
    {
        if (conference is null || agent is null || role is null)
        {
            return TypedResults.Problem("conference, agent and role are required.", statusCode: StatusCodes.Status400BadRequest);
        }

        return await conferences.GetAsync(conference) is null
            ? Twiml(CallCenterTwiml.Goodbye())
            : Twiml(CallCenterTwiml.AgentConference(conference, agent, role.Value));
    }

    /// <summary>An agent leg's progress. Its final status is the one place an agent is freed, so no one is freed twice.</summary>
    private static async Task<IResult> CallStatusAsync(
        [FromQuery] string? agent, [FromQuery] string? conference, [FromQuery] DialRole? role, [FromQuery] string? request,
        [FromForm(Name = "CallStatus")] string? status, [FromForm(Name = "CallSid")] string? callSid,
        AgentStore agents, DialLedger ledger, CallFlow flow, ILogger<Program> logger, CancellationToken cancellationToken)
    {
        if (agent is null || conference is null || role is null || status is null || callSid is null || !CallSidFormat().IsMatch(callSid))
        {
            return TypedResults.Problem("agent, conference, role, CallStatus and CallSid are required.", statusCode: StatusCodes.Status400BadRequest);
        }

        logger.LogInformation("Agent {AgentId} call {CallSid} for {ConferenceName} is {CallStatus}", agent, callSid, conference, status);
        switch (status)
        {
            case "initiated" or "queued" or "ringing":
                await agents.DialingAsync(agent, callSid);
                if (request is not null)
                {
                    // The call exists: a redelivered dial request must not ring the agent again, even if the worker died.
                    await ledger.DialedAsync(request, callSid);
                }

                break;
            case "busy" or "no-answer" or "failed" or "canceled" or "completed":
                await flow.AgentLegEndedAsync(agent, conference, role.Value, status, cancellationToken);
                break;
        }

        return TypedResults.NoContent();
    }

    /// <summary>Conference events keep Redis true: who joined or left, holds, transfers, and the end of the call.</summary>
    private static async Task<IResult> ConferenceEventsAsync(
        [FromForm(Name = "StatusCallbackEvent")] string? statusCallbackEvent, [FromForm(Name = "FriendlyName")] string? conferenceName,
        [FromForm(Name = "ConferenceSid")] string? conferenceSid, [FromForm(Name = "ParticipantLabel")] string? label,
        [FromForm(Name = "CallSid")] string? callSid, ConferenceStore conferences, CallFlow flow, IAgentUpdatePublisher updates,
        ILogger<Program> logger, CancellationToken cancellationToken)
    {
        if (statusCallbackEvent is null || conferenceName is null || conferenceSid is null)
        {
            return TypedResults.Problem("StatusCallbackEvent, FriendlyName and ConferenceSid are required.", statusCode: StatusCodes.Status400BadRequest);
        }

        // The customer's join is the first event to carry the ConferenceSid; the record may not have it stored yet.
        var record = await conferences.GetAsync(conferenceName) is { } stored ? stored with { ConferenceSid = stored.ConferenceSid ?? conferenceSid } : null;
        var isCustomer = label == CallCenterTwiml.CustomerLabel;
        logger.LogInformation("Conference {ConferenceName} {StatusCallbackEvent} {ParticipantLabel}", conferenceName, statusCallbackEvent, label);
        switch (statusCallbackEvent)
        {
            case "participant-join" when isCustomer:
                await conferences.SetAsync(conferenceName, ("conferenceSid", conferenceSid));
                return TypedResults.NoContent();
            case "participant-join" when label is not null && callSid is not null && record is not null:
                await flow.AgentJoinedAsync(record, label, callSid, cancellationToken);
                break;
            case "participant-hold" or "participant-unhold" when isCustomer:
                await conferences.SetAsync(conferenceName, ("customerOnHold", statusCallbackEvent == "participant-hold" ? "true" : "false"));
                break;
            case "participant-leave" when isCustomer:
            case "conference-end":
                await flow.CustomerLeftAsync(conferenceName, cancellationToken);
                break;
            case "participant-leave" when label is not null && record is not null:
                await flow.AgentLeftAsync(record, label, cancellationToken);
                break;
            default:
                // conference-start, or an event for a conference already gone: no agent's view changes.
                return TypedResults.NoContent();
        }

        // The agents of the call see the change (whom the router dialed or freed, it told itself).
        await updates.PublishAsync([record?.FirstAgent, record?.TransferAgent, isCustomer ? null : label], cancellationToken);
        return TypedResults.NoContent();
    }

    private static IResult Twiml(string twiml) => TypedResults.Content(twiml, "text/xml");

    [GeneratedRegex("^CA[0-9a-fA-F]{32}$")]
    private static partial Regex CallSidFormat();
}
