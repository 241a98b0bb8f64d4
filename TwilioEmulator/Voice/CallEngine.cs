using System.Globalization;
using System.Xml.Linq;
using Microsoft.Extensions.Options;
using WarmTransfer.TwilioEmulator.Clients;
using WarmTransfer.TwilioEmulator.Model;

namespace WarmTransfer.TwilioEmulator.Voice;

/// <summary>A call the REST API asked for.</summary>
public sealed record OutboundCallRequest(
    string From,
    string To,
    TwimlSource? Instructions,
    string? StatusCallback,
    string StatusCallbackMethod,
    IReadOnlySet<string> StatusCallbackEvents,
    TimeSpan Timeout,
    ConferenceJoin? JoinOnAnswer = null);

/// <summary>
/// Runs calls the way Twilio does: rings the target, fetches and executes TwiML, sends status callbacks.
/// Conference legs are handed to <see cref="ConferenceEngine"/>.
/// </summary>
public sealed class CallEngine(
    EmulatorState state,
    WebhookClient webhooks,
    VoiceMedia media,
    EventLog events,
    DeviceHub devices,
    AnswerRules answerRules,
    ConferenceEngine conferences,
    IOptions<EmulatorOptions> options,
    IOptions<EmulatorTimingOptions> timing,
    TimeProvider time,
    ILogger<CallEngine> logger)
{
    /// <summary>A customer dials the support number: Twilio asks the number's voice URL what to do.</summary>
    public Call PlaceInbound(string from)
    {
        var number = options.Value;
        if (string.IsNullOrEmpty(number.VoiceUrl))
        {
            throw new InvalidOperationException($"The number {number.PhoneNumber} has no voice URL configured (Twilio:VoiceUrl).");
        }

        var now = time.GetUtcNow();
        var call = new Call
        {
            Sid = Sids.New("CA"),
            AccountSid = number.AccountSid,
            From = from,
            To = number.PhoneNumber,
            Direction = "inbound",
            DateCreated = now,
            DateUpdated = now,
            Status = CallStatus.Ringing,
            Instructions = new TwimlSource(number.VoiceUrl, number.VoiceMethod, null),
        };
        Register(call, $"inbound call from {from}");
        _ = Task.Run(() => RunInboundAsync(call));
        return call;
    }

    /// <summary>Places a call; <paramref name="beforeDialing"/> runs once the call exists and before it rings.</summary>
    public Call PlaceOutbound(OutboundCallRequest request, Action<Call>? beforeDialing = null)
    {
        var now = time.GetUtcNow();
        var call = new Call
        {
            Sid = Sids.New("CA"),
            AccountSid = options.Value.AccountSid,
            From = request.From,
            To = request.To,
            Direction = "outbound-api",
            DateCreated = now,
            DateUpdated = now,
            Instructions = request.Instructions,
            StatusCallback = request.StatusCallback,
            StatusCallbackMethod = request.StatusCallbackMethod,
            StatusCallbackEvents = request.StatusCallbackEvents,
            Timeout = request.Timeout,
            JoinOnAnswer = request.JoinOnAnswer,
        };
        Register(call, $"outbound call to {request.To}");
        beforeDialing?.Invoke(call);
        _ = Task.Run(() => RunOutboundAsync(call));
        return call;
    }

    /// <summary>Ends a call: hung up (completed), or, before it was answered, canceled.</summary>
    public void Hangup(Call call)
    {
        string status;
        lock (state.Sync)
        {
            status = call.Status is CallStatus.Queued or CallStatus.Ringing && call.Direction != "inbound"
                ? CallStatus.Canceled
                : CallStatus.Completed;
        }

        Finish(call, status);
    }

    /// <summary>REST Status=canceled: only a call not answered yet is canceled; otherwise nothing happens.</summary>
    public void Cancel(Call call)
    {
        bool cancel;
        lock (state.Sync)
        {
            cancel = call.Status is CallStatus.Queued or CallStatus.Ringing;
        }

        if (cancel)
        {
            Finish(call, CallStatus.Canceled);
        }
    }

    /// <summary>REST Url or Twiml: a live call drops what it was doing and runs the new TwiML.</summary>
    public void Redirect(Call call, TwimlSource source)
    {
        CancellationTokenSource? current;
        lock (state.Sync)
        {
            if (call.IsEnded)
            {
                return;
            }

            if (call.Status != CallStatus.InProgress)
            {
                call.Instructions = source;
                return;
            }

            call.PendingRedirect = source;
            current = call.CurrentDocument;
        }

        _ = current?.CancelAsync();
    }

    /// <summary>A client device accepted the call.</summary>
    public void Answer(Call call, string? deviceId)
    {
        lock (state.Sync)
        {
            if (call.Status != CallStatus.Ringing || call.RingOutcome.Task.IsCompleted)
            {
                return;
            }

            call.AnsweredByDevice = deviceId;
        }

        call.RingOutcome.TrySetResult(CallStatus.InProgress);
    }

    public void Decline(Call call) => call.RingOutcome.TrySetResult(CallStatus.Busy);

    private void Register(Call call, string message)
    {
        lock (state.Sync)
        {
            state.Calls[call.Sid] = call;
        }

        events.Add("call", callSid: call.Sid, message: message);
        logger.LogInformation("Call {CallSid}: {Message}", call.Sid, message);
    }

    private async Task RunInboundAsync(Call call)
    {
        try
        {
            await ExecuteAsync(call, call.Instructions!);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogError(exception, "Call {CallSid} failed in the emulator", call.Sid);
        }
        finally
        {
            Finish(call, CallStatus.Completed);
        }
    }

    private async Task RunOutboundAsync(Call call)
    {
        try
        {
            SendStatusCallback(call, "initiated");
            await Task.Delay(timing.Value.RingDelay, time, call.Ended.Token);
            lock (state.Sync)
            {
                if (call.IsEnded)
                {
                    return;
                }

                call.Status = CallStatus.Ringing;
                call.DateUpdated = time.GetUtcNow();
                if (call.Participant is { } pending)
                {
                    pending.Status = ParticipantStatus.Ringing;
                }
            }

            SendStatusCallback(call, "ringing");
            var outcome = await RingAsync(call);
            if (outcome != CallStatus.InProgress)
            {
                Finish(call, outcome);
                return;
            }

            lock (state.Sync)
            {
                if (call.IsEnded)
                {
                    return;
                }

                call.Status = CallStatus.InProgress;
                call.StartTime = call.DateUpdated = time.GetUtcNow();
            }

            events.Add("call", callSid: call.Sid, message: $"answered by {call.To}");
            SendStatusCallback(call, "answered");
            if (call.JoinOnAnswer is { } join)
            {
                await conferences.RunLegAsync(call, join, call.Ended.Token);
            }
            else if (call.Instructions is { } instructions)
            {
                await ExecuteAsync(call, instructions);
            }
        }
        catch (OperationCanceledException) when (call.Ended.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Call {CallSid} failed in the emulator", call.Sid);
        }
        finally
        {
            Finish(call, CallStatus.Completed);
        }
    }

    /// <summary>Rings the target until it answers, declines, or the call's Timeout passes.</summary>
    private async Task<string> RingAsync(Call call)
    {
        var rule = answerRules.Find(call.To);
        if (rule is not null)
        {
            _ = Task.Run(async () =>
            {
                switch (rule.Action)
                {
                    case "answer":
                        await Task.Delay(TimeSpan.FromMilliseconds(rule.AfterMilliseconds), time, CancellationToken.None);
                        Answer(call, null);
                        break;
                    case "reject" or "busy":
                        await Task.Delay(TimeSpan.FromMilliseconds(rule.AfterMilliseconds), time, CancellationToken.None);
                        Decline(call);
                        break;
                    case "fail":
                        call.RingOutcome.TrySetResult(CallStatus.Failed);
                        break;
                }
            });
        }
        else if (call.ClientIdentity is { } identity)
        {
            // Nobody registered: it rings until the timeout, as for a browser that is not there.
            devices.Offer(call, identity, media.VoiceParameters(call));
        }
        else
        {
            // A simulated phone with no rule picks up at once.
            Answer(call, null);
        }

        using var timeout = new CancellationTokenSource(call.Timeout, time);
        await using var onTimeout = timeout.Token.Register(() => call.RingOutcome.TrySetResult(CallStatus.NoAnswer));
        var outcome = await call.RingOutcome.Task;

        // Every other device stops ringing, whoever answered.
        devices.Withdraw(call);
        return outcome;
    }

    /// <summary>Fetches and runs TwiML until the call ends or runs out of verbs; a REST redirect replaces the document.</summary>
    private async Task ExecuteAsync(Call call, TwimlSource source)
    {
        TwimlSource? next = source;
        while (next is not null && !call.Ended.IsCancellationRequested)
        {
            var current = next;
            TwimlDocument document;
            try
            {
                document = await media.FetchAsync(call, current, "voice-webhook", media.VoiceParameters(call), call.Ended.Token);
            }
            catch (TwimlException exception)
            {
                events.Add("error", callSid: call.Sid, errorCode: exception.Code, message: exception.Message);
                logger.LogWarning("Call {CallSid} ends: error {ErrorCode} {Message}", call.Sid, exception.Code, exception.Message);
                return;
            }

            using var documentScope = CancellationTokenSource.CreateLinkedTokenSource(call.Ended.Token);
            lock (state.Sync)
            {
                call.CurrentDocument = documentScope;
            }

            try
            {
                next = await RunVerbsAsync(call, document, current.Url, documentScope.Token);
            }
            catch (OperationCanceledException) when (!call.Ended.IsCancellationRequested)
            {
                lock (state.Sync)
                {
                    next = call.PendingRedirect;
                    call.PendingRedirect = null;
                }
            }
        }
    }

    private async Task<TwimlSource?> RunVerbsAsync(Call call, TwimlDocument document, string? documentUrl, CancellationToken cancellationToken)
    {
        foreach (var verb in document.Verbs)
        {
            var name = verb.Name.LocalName;
            if (name is not ("Hangup" or "Reject"))
            {
                MarkAnswered(call);
            }

            switch (name)
            {
                case "Say" or "Play" or "Pause":
                    await media.PlayAsync(verb, cancellationToken);
                    break;
                case "Redirect":
                    return new TwimlSource(Resolve(documentUrl, verb.Value.Trim()), Twiml.Attribute(verb, "method") ?? "POST", null);
                case "Hangup":
                    return null;
                case "Reject":
                    Finish(call, call.Status == CallStatus.InProgress ? CallStatus.Completed : CallStatus.Busy);
                    return null;
                case "Dial":
                    var action = await DialAsync(call, verb, documentUrl, cancellationToken);
                    if (action is not null)
                    {
                        return action;
                    }

                    break;
                default:
                    events.Add("error", callSid: call.Sid, errorCode: 12200,
                        message: $"<{name}> is valid TwiML but the emulator does not run it; skipped.");
                    break;
            }
        }

        return null;
    }

    private async Task<TwimlSource?> DialAsync(Call call, XElement dial, string? documentUrl, CancellationToken cancellationToken)
    {
        var noun = dial.Elements().FirstOrDefault();
        if (noun is not { Name.LocalName: "Conference" })
        {
            events.Add("error", callSid: call.Sid, errorCode: 12200,
                message: $"<Dial> with <{noun?.Name.LocalName ?? "a number"}> is not run by the emulator; only <Conference> is.");
            return null;
        }

        var join = new ConferenceJoin(
            FriendlyName: noun.Value.Trim(),
            StartConferenceOnEnter: Twiml.BoolAttribute(noun, "startConferenceOnEnter", true),
            EndConferenceOnExit: Twiml.BoolAttribute(noun, "endConferenceOnExit", false),
            Muted: Twiml.BoolAttribute(noun, "muted", false),
            Beep: Twiml.Attribute(noun, "beep") ?? "true",
            Label: Twiml.Attribute(noun, "participantLabel"),
            WaitUrl: Twiml.Attribute(noun, "waitUrl") is { } waitUrl ? Resolve(documentUrl, waitUrl) : null,
            WaitMethod: Twiml.Attribute(noun, "waitMethod") ?? "POST",
            MaxParticipants: Twiml.IntAttribute(noun, "maxParticipants", 250),
            StatusCallback: Twiml.Attribute(noun, "statusCallback") is { } callback ? Resolve(documentUrl, callback) : null,
            StatusCallbackMethod: Twiml.Attribute(noun, "statusCallbackMethod") ?? "POST",
            StatusCallbackEvents: ConferenceEngine.ParseEvents(Twiml.Attribute(noun, "statusCallbackEvent")));
        await conferences.RunLegAsync(call, join, cancellationToken);

        return Twiml.Attribute(dial, "action") is { } dialAction
            ? new TwimlSource(Resolve(documentUrl, dialAction), Twiml.Attribute(dial, "method") ?? "POST", null)
            : null;
    }

    private void MarkAnswered(Call call)
    {
        lock (state.Sync)
        {
            if (call.Status is CallStatus.Ringing or CallStatus.Queued && call.Direction == "inbound")
            {
                call.Status = CallStatus.InProgress;
                call.StartTime = call.DateUpdated = time.GetUtcNow();
            }
        }
    }

    /// <summary>Ends the call once: the conference is left, devices are told, the final status callback goes out.</summary>
    public void Finish(Call call, string status)
    {
        Participant? participant;
        lock (state.Sync)
        {
            if (call.IsEnded)
            {
                return;
            }

            call.Status = status;
            call.EndTime = call.DateUpdated = time.GetUtcNow();
            participant = call.Participant;
        }

        call.RingOutcome.TrySetResult(status);
        _ = call.Ended.CancelAsync();
        events.Add("call", callSid: call.Sid, message: $"ended: {status}");
        logger.LogInformation("Call {CallSid} ended: {CallStatus}", call.Sid, status);
        if (participant is not null)
        {
            conferences.Leave(participant, "participant_hung_up", kicked: false);
        }

        devices.Withdraw(call);
        SendStatusCallback(call, "completed");
        call.Callbacks.Complete();
    }

    /// <summary>Call progress events, for the events the call asked for (completed when it named none).</summary>
    private void SendStatusCallback(Call call, string progressEvent)
    {
        if (call.StatusCallback is not { } url)
        {
            return;
        }

        var wanted = call.StatusCallbackEvents.Count == 0 ? new HashSet<string> { "completed" } : call.StatusCallbackEvents;
        if (!wanted.Contains(progressEvent))
        {
            return;
        }

        var parameters = media.VoiceParameters(call);
        lock (state.Sync)
        {
            parameters["CallbackSource"] = "call-progress-events";
            parameters["SequenceNumber"] = call.NextCallbackSequence().ToString(CultureInfo.InvariantCulture);
            parameters["Timestamp"] = Rfc2822.Format(time.GetUtcNow());
            if (progressEvent == "completed")
            {
                var duration = call.DurationSeconds ?? 0;
                parameters["CallDuration"] = duration.ToString(CultureInfo.InvariantCulture);
                parameters["Duration"] = ((duration + 59) / 60).ToString(CultureInfo.InvariantCulture);
            }
        }

        call.Callbacks.Enqueue(() => webhooks.SendAsync("status-callback", url, call.StatusCallbackMethod, parameters,
            call.Sid, null, CancellationToken.None));
    }

    public static string Resolve(string? baseUrl, string url) =>
        baseUrl is not null && Uri.TryCreate(new Uri(baseUrl), url, out var absolute) ? absolute.ToString() : url;
}
