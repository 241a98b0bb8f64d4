using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using WarmTransfer.CallCenter;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.Routing;
using WarmTransfer.CallCenter.State;
using WarmTransfer.CallCenter.Telephony;
using WarmTransfer.CallCenter.Voice;
using WarmTransfer.CallCenter.Waiting;

namespace WarmTransfer.WebhookApi;

/// <summary>
/// Twilio-facing routes. Each answers from Redis and a queue publish only — no Twilio REST call — and every
/// request has passed <see cref="TwilioRequests"/> (signature, formats, repeats) before it reaches one.
/// </summary>
public static class VoiceWebhooks
{
    /// <summary>Every request to <c>/voice</c> passes <see cref="TwilioRequests"/> first: size, signature, field formats, repeats.</summary>
    public static IApplicationBuilder UseTwilioRequests(this IApplicationBuilder app) =>
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/voice"), voice => voice.UseMiddleware<TwilioRequests>());

    public static IEndpointRouteBuilder MapVoiceWebhooks(this IEndpointRouteBuilder app)
    {
        var voice = app.MapGroup("/voice")
            .WithMetadata(new RequestSizeLimitAttribute(TwilioRequests.MaxBodyBytes))
            .DisableAntiforgery();

        // A caller never hears an application error while Redis fails over: past the retries, Twilio is asked to come back.
        voice.MapPost("/incoming", IncomingAsync).RetriedWhileRedisFailsOver(context =>
            Twiml(CallCenterTwiml.TryAgainShortly(context.HttpContext.RequestServices.GetRequiredService<IOptions<TwilioOptions>>().Value.Url(WebhookPaths.Incoming))));
        voice.MapMethods("/hold", ["GET", "POST"], Hold);
        voice.MapPost("/wait", WaitAsync).RetriedWhileRedisFailsOver();
        voice.MapPost("/agent-join", AgentJoinAsync).RetriedWhileRedisFailsOver();
        voice.MapPost("/callback-offer", CallbackOffer);
        voice.MapPost("/callback-choice", CallbackChoiceAsync).RetriedWhileRedisFailsOver();
        voice.MapPost("/customer-join", CustomerJoinAsync).RetriedWhileRedisFailsOver();
        voice.MapPost("/customer-status", CustomerStatusAsync).RetriedWhileRedisFailsOver();
        voice.MapPost("/call-status", CallStatusAsync).RetriedWhileRedisFailsOver();
        voice.MapPost("/conference-events", ConferenceEventsAsync).RetriedWhileRedisFailsOver();
        return app;
    }

    /// <summary>
    /// A customer calls: their session starts (an agent is rung, or they wait in line) and the TwiML puts them on hold in their
    /// conference — after offering a callback that keeps their place, when their wait is expected to be long.
    /// </summary>
    private static async Task<IResult> IncomingAsync(
        [FromForm(Name = "CallSid")] string? callSid, [FromForm(Name = "From")] string? from, CallSessions calls, CallbackOffers offers,
        IOptions<TwilioOptions> options, IOptions<QueueOptions> queue, ILogger<Program> logger, CancellationToken cancellationToken)
    {
        if (callSid is null)
        {
            return TypedResults.Problem("CallSid is required.", statusCode: StatusCodes.Status400BadRequest);
        }

        // The session and its conference are named after the customer's CallSid: no personal data in the name.
        var waiting = await calls.StartAsync(callSid, from, cancellationToken);
        var twilio = options.Value;
        // Only a caller left waiting in line may be offered a callback, decided on the place the claim put them in.
        if (waiting is not null && offers.ShouldOffer(from, waiting))
        {
            logger.LogInformation("Customer call {SessionId} is offered a callback before it waits in its conference", callSid);
            var settings = queue.Value;
            return Twiml(CallCenterTwiml.OfferCallback(settings.CallbackOffer, settings.Voice, settings.Language, twilio.Url(WebhookPaths.CallbackChoice),
                callSid, twilio.Url(WebhookPaths.Wait), twilio.Url(WebhookPaths.ConferenceEvents)));
        }

        logger.LogInformation("Customer call {SessionId} waits in its conference", callSid);
        return Twiml(CallCenterTwiml.CustomerConference(callSid, twilio.Url(WebhookPaths.Wait), twilio.Url(WebhookPaths.ConferenceEvents)));
    }

    /// <summary>The callback offer again, for a waiting caller taken out of the line's conference; with no key they go back to it.</summary>
    private static IResult CallbackOffer([FromForm(Name = "CallSid")] string? callSid, IOptions<TwilioOptions> options, IOptions<QueueOptions> queue)
    {
        if (callSid is null)
        {
            return TypedResults.Problem("CallSid is required.", statusCode: StatusCodes.Status400BadRequest);
        }

        var settings = queue.Value;
        var twilio = options.Value;
        return Twiml(CallCenterTwiml.OfferCallback(settings.CallbackOffer, settings.Voice, settings.Language, twilio.Url(WebhookPaths.CallbackChoice),
            callSid, twilio.Url(WebhookPaths.Wait), twilio.Url(WebhookPaths.ConferenceEvents)));
    }

    /// <summary>
    /// The key the caller pressed when offered a callback. 1: their entry keeps its place in line, marked callback, and the call
    /// ends after a word. Anything else, or a caller who cannot be called back after all: they join the line's conference.
    /// </summary>
    private static async Task<IResult> CallbackChoiceAsync([FromForm(Name = "CallSid")] string? callSid, [FromForm(Name = "Digits")] string? digits,
        CallSessions calls, IOptions<TwilioOptions> options, IOptions<QueueOptions> queue, ILogger<Program> logger)
    {
        if (callSid is null)
        {
            return TypedResults.Problem("CallSid is required.", statusCode: StatusCodes.Status400BadRequest);
        }

        var settings = queue.Value;
        if (digits == "1")
        {
            // Once decided, the callback stands even if Twilio stops waiting for the TwiML.
            var decision = await calls.HandleAsync(callSid, new SessionEvent.CallbackRequested(settings.CallbackAttempts, settings.CallbackRetryDelay),
                CancellationToken.None);
            if (decision is { Refusal: null, Session.Callback: not null })
            {
                return Twiml(CallCenterTwiml.SayAndHangUp(settings.CallbackConfirmation, settings.Voice, settings.Language));
            }

            logger.LogInformation("Caller {SessionId} pressed 1 but is not called back: {Reason}", callSid, decision?.Refusal?.Message ?? "no such call");
        }

        var twilio = options.Value;
        return Twiml(CallCenterTwiml.CustomerConference(callSid, twilio.Url(WebhookPaths.Wait), twilio.Url(WebhookPaths.ConferenceEvents)));
    }

    /// <summary>
    /// The customer answered their callback (the attempt <paramref name="leg"/>): they join the agent's conference, if the session
    /// still wants this attempt and this call; otherwise the call ends. As for an agent's answer, the session hears of it here first.
    /// </summary>
    private static async Task<IResult> CustomerJoinAsync([FromQuery] string? session, [FromQuery] string? leg,
        [FromForm(Name = "CallSid")] string? callSid, CallSessions calls, SessionStore sessions, IOptions<TwilioOptions> options,
        IOptions<QueueOptions> queue, ILogger<Program> logger)
    {
        if (session is null || leg is null || callSid is null)
        {
            return TypedResults.Problem("session, leg and CallSid are required.", statusCode: StatusCodes.Status400BadRequest);
        }

        var known = await AnsweredAsync(calls, sessions, session, new SessionEvent.CustomerCallProgress(leg, callSid, LegCallStatus.InProgress), logger);
        var settings = queue.Value;
        var twilio = options.Value;
        return known is { IsEnded: false, Callback: { Status: CallbackStatus.Answered } callback } && callback.AttemptId == leg && callback.CallSid == callSid
            ? Twiml(CallCenterTwiml.CallbackConference(settings.CallbackGreeting, settings.Voice, settings.Language, session,
                twilio.Url(WebhookPaths.Wait), twilio.Url(WebhookPaths.ConferenceEvents)))
            : Twiml(CallCenterTwiml.Goodbye());
    }

    /// <summary>
    /// A call's answer, heard from the request for its TwiML (no "answered" status callback is asked for): decided, or, when it
    /// cannot be, the session as stored (the conference's join event or the reconciler records the answer). Once decided, the
    /// effects are carried out even if Twilio stops waiting for the TwiML.
    /// </summary>
    private static async Task<CallSession?> AnsweredAsync(CallSessions calls, SessionStore sessions, string session, SessionEvent answer, ILogger logger)
    {
        try
        {
            return (await calls.HandleAsync(session, answer, CancellationToken.None))?.Session;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Session {SessionId}: {Answer} was not decided; joining by the stored session", session, answer);
            return await sessions.GetAsync(session);
        }
    }

    /// <summary>A callback's call progress, decided on its session.</summary>
    private static async Task<IResult> CustomerStatusAsync(
        [FromQuery] string? session, [FromQuery] string? leg, [FromForm(Name = "CallStatus")] string? status,
        [FromForm(Name = "CallSid")] string? callSid, [FromForm(Name = "SequenceNumber")] int? sequence, CallSessions calls,
        ILogger<Program> logger, CancellationToken cancellationToken)
    {
        if (session is null || leg is null || callSid is null || !LegCallStatuses.TryParse(status, out var callStatus))
        {
            return TypedResults.Problem("session, leg, a known CallStatus and CallSid are required.", statusCode: StatusCodes.Status400BadRequest);
        }

        logger.LogInformation("Session {SessionId} callback {LegId} call {CallSid} is {CallStatus}", session, leg, callSid, status);
        await calls.HandleAsync(session, new SessionEvent.CustomerCallProgress(leg, callSid, callStatus, sequence), cancellationToken);
        return TypedResults.NoContent();
    }

    private static IResult Hold(IOptions<TwilioOptions> options) => Twiml(CallCenterTwiml.Hold(options.Value.Url(WebhookPaths.HoldMusic)));

    /// <summary>
    /// A pass of the waiting caller's music, asked for by their conference until an agent joins: their position and expected
    /// wait when due, then the music (at least <see cref="QueueOptions.AnnounceEvery"/> long), then the next pass. The session
    /// is named after the customer's CallSid, which every request for their call carries.
    /// </summary>
    private static async Task<IResult> WaitAsync([FromForm(Name = "CallSid")] string? callSid, WaitPrompts prompts, CallbackOffers offers,
        IDialRequestPublisher work, TimeProvider time, IOptions<TwilioOptions> options, IOptions<QueueOptions> queue, ILogger<Program> logger,
        CancellationToken cancellationToken)
    {
        if (callSid is null)
        {
            return TypedResults.Problem("CallSid is required.", statusCode: StatusCodes.Status400BadRequest);
        }

        // Both at once: they read and write apart.
        var offering = offers.ShouldOfferAgainAsync(callSid);
        var prompting = prompts.NextAsync(callSid);
        await Task.WhenAll(offering, prompting);
        if (await offering)
        {
            // The worker takes the call out of the conference to the offer, if nobody is rung for the caller by then; until
            // then this pass plays.
            logger.LogInformation("Waiting caller {SessionId} is offered a callback again", callSid);
            await work.PublishAsync(new CallCommand($"{callSid}.offer.{time.GetUtcNow().ToUnixTimeMilliseconds()}", CallAction.OfferCallback, callSid, null,
                callSid, null), cancellationToken);
        }

        var settings = queue.Value;
        var loops = Math.Max(1, (int)Math.Ceiling(settings.AnnounceEvery / HoldMusic.Length));
        return Twiml(CallCenterTwiml.Wait(await prompting, settings.Voice, settings.Language,
            options.Value.Url(WebhookPaths.HoldMusic), loops, options.Value.Url(WebhookPaths.Wait)));
    }

    /// <summary>
    /// The TwiML an agent's leg runs once they accept: join the customer, if the session still wants this leg and this call.
    /// Twilio asks for it only once the agent answered, and never drops it as it can drop a status callback: the session hears
    /// of the answer here. Answering matters more than recording it: when the decision cannot be made, the TwiML is chosen
    /// from the session as stored, and the agent's join to the conference or the reconciler records the answer.
    /// </summary>
    private static async Task<IResult> AgentJoinAsync([FromQuery] string? session, [FromQuery] string? leg,
        [FromForm(Name = "CallSid")] string? callSid, CallSessions calls, SessionStore sessions, IOptions<TwilioOptions> options,
        ILogger<Program> logger)
    {
        if (session is null || leg is null || callSid is null)
        {
            return TypedResults.Problem("session, leg and CallSid are required.", statusCode: StatusCodes.Status400BadRequest);
        }

        var known = await AnsweredAsync(calls, sessions, session, new SessionEvent.LegProgress(leg, callSid, LegCallStatus.InProgress), logger);

        // Another call for the same leg (a dial whose first attempt also rang) is not the one the session follows: it hangs up.
        return known is { IsEnded: false } call && call.Leg(leg) is { IsLive: true, Withdrawn: false } agentLeg
            && (agentLeg.CallSid is null || agentLeg.CallSid == callSid)
            ? Twiml(CallCenterTwiml.AgentConference(session, agentLeg.AgentId, options.Value.Url(WebhookPaths.ConferenceEvents)))
            : Twiml(CallCenterTwiml.Goodbye());
    }

    /// <summary>An agent leg's progress, decided on its session.</summary>
    private static async Task<IResult> CallStatusAsync(
        [FromQuery] string? session, [FromQuery] string? leg, [FromForm(Name = "CallStatus")] string? status,
        [FromForm(Name = "CallSid")] string? callSid, [FromForm(Name = "SequenceNumber")] int? sequence, CallSessions calls,
        ILogger<Program> logger, CancellationToken cancellationToken)
    {
        if (session is null || leg is null || callSid is null || !LegCallStatuses.TryParse(status, out var callStatus))
        {
            return TypedResults.Problem("session, leg, a known CallStatus and CallSid are required.", statusCode: StatusCodes.Status400BadRequest);
        }

        logger.LogInformation("Session {SessionId} leg {LegId} call {CallSid} is {CallStatus}", session, leg, callSid, status);
        await calls.HandleAsync(session, new SessionEvent.LegProgress(leg, callSid, callStatus, sequence), cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>Conference events, decided on the session the conference is named after.</summary>
    private static async Task<IResult> ConferenceEventsAsync(
        [FromForm(Name = "StatusCallbackEvent")] string? statusCallbackEvent, [FromForm(Name = "FriendlyName")] string? conferenceName,
        [FromForm(Name = "ConferenceSid")] string? conferenceSid, [FromForm(Name = "ParticipantLabel")] string? label,
        [FromForm(Name = "CallSid")] string? callSid, [FromForm(Name = "SequenceNumber")] int? sequence,
        [FromForm(Name = "ReasonParticipantLeft")] string? reasonLeft, CallSessions calls, ILogger<Program> logger, CancellationToken cancellationToken)
    {
        if (statusCallbackEvent is null || conferenceName is null || conferenceSid is null)
        {
            return TypedResults.Problem("StatusCallbackEvent, FriendlyName and ConferenceSid are required.", statusCode: StatusCodes.Status400BadRequest);
        }

        logger.LogInformation("Session {SessionId} conference {StatusCallbackEvent} {ParticipantLabel}", conferenceName, statusCallbackEvent, label);
        var isCustomer = label == CallCenterTwiml.CustomerLabel;
        SessionEvent? @event = statusCallbackEvent switch
        {
            "participant-join" when isCustomer => new SessionEvent.CustomerJoined(conferenceSid),
            "participant-leave" when isCustomer => new SessionEvent.CustomerLeft(conferenceSid, callSid),
            "participant-hold" or "participant-unhold" when isCustomer && sequence is { } number =>
                new SessionEvent.CustomerHoldChanged(statusCallbackEvent == "participant-hold", number),
            "participant-join" when label is not null => new SessionEvent.AgentJoined(label, callSid, conferenceSid),
            "participant-leave" when label is not null => new SessionEvent.AgentLeft(label, callSid, conferenceSid),
            // The customer's leg ends the conference when it leaves: an ended conference means the customer is gone.
            "conference-end" => new SessionEvent.CustomerLeft(conferenceSid),
            _ => null,
        };
        if (@event is SessionEvent.AgentLeft && EndedWithTheConference(reasonLeft))
        {
            // The conference ended under the agent (the customer's leg ends it): the customer is gone, whichever event comes first.
            await calls.HandleAsync(conferenceName, new SessionEvent.CustomerLeft(conferenceSid), cancellationToken);
        }

        if (@event is not null)
        {
            await calls.HandleAsync(conferenceName, @event, cancellationToken);
        }

        return TypedResults.NoContent();
    }

    /// <summary>A participant-leave reason that says the conference ended (not that the participant hung up or was removed).</summary>
    private static bool EndedWithTheConference(string? reason) =>
        reason is not null && reason.Contains("conference", StringComparison.OrdinalIgnoreCase) && reason.Contains("end", StringComparison.OrdinalIgnoreCase);

    private static IResult Twiml(string twiml) => TypedResults.Content(twiml, "text/xml");
}
