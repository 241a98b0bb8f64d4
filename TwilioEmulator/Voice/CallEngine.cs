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
            Callbacks = new CallbackQueue(logger),
        };
        lock (state.Sync)
        {
            state.Calls[call.Sid] = call;
        }

        Registered(call, $"inbound call from {from}");
        _ = Task.Run(() => RunInboundAsync(call));
        return call;
    }

    /// <summary>Places a call.</summary>
    public Call PlaceOutbound(OutboundCallRequest request) =>
        TryPlaceOutbound(request, static _ => true) ?? throw new System.Diagnostics.UnreachableException();

    /// <summary>
    /// Places a call if <paramref name="admit"/> takes it (a Participants API leg is added to its conference there).
    /// Admitting and registering are one step under the state lock, so nothing sees a call that is half set up.
    /// </summary>
    public Call? TryPlaceOutbound(OutboundCallRequest request, Func<Call, bool> admit)
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
            Callbacks = new CallbackQueue(logger),
        };
        lock (state.Sync)
        {
            if (!admit(call))
            {
                return null;
            }

            state.Calls[call.Sid] = call;
        }

        Registered(call, $"outbound call to {request.To}");
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

    /// <summary>
    /// REST Url or Twiml: a live call drops what it was doing (leaving its conference) and runs the new TwiML. An
    /// outbound call not answered yet runs it once answered, instead of its own TwiML or of joining its conference.
    /// </summary>
    public void Redirect(Call call, TwimlSource source)
    {
        lock (state.Sync)
        {
            if (call.IsEnded)
            {
                return;
            }

            if (call.Direction != "inbound" && call.Status is CallStatus.Queued or CallStatus.Ringing)
            {
                call.Instructions = source;
                call.JoinOnAnswer = null;
                if (call.Participant is { } joining)
                {
                    conferences.Withdraw(joining);
                }

                return;
            }

            // Answered, or an inbound call still fetching its voice URL. The call takes the redirect before its
            // next document; CancelAsync runs the callbacks on the thread pool, not under this lock, and the
            // scope is cleared under this lock before it is disposed.
            call.PendingRedirect = source;
            _ = call.CurrentDocument?.CancelAsync();
        }
    }

    /// <summary>A client device accepted the call.</summary>
    public void Answer(Call call, string? deviceId)
    {
        lock (state.Sync)
        {
            // Decided under the lock, so only the answer that counts records its device (a decline or the timeout
            // may win the outcome instead); the outcome's continuations run asynchronously, not under this lock.
            if (call.Status == CallStatus.Ringing && call.RingOutcome.TrySetResult(CallStatus.InProgress))
            {
                call.AnsweredByDevice = deviceId;
                if (deviceId is not null)
                {
                    devices.Answered(call, deviceId);
                }
            }
        }
    }

    public void Decline(Call call) => call.RingOutcome.TrySetResult(CallStatus.Busy);

    /// <summary>
    /// Registers a device. After a signalling drop a device registers again and names the calls it still has open: it
    /// takes back each one that is live, for its identity, and answered by a registration that is gone. Returns those.
    /// </summary>
    public IReadOnlyList<string> Connect(Device device, IEnumerable<string> openCalls)
    {
        var resumed = new List<string>();
        lock (state.Sync)
        {
            // Under the lock with the registration: a call that ends meanwhile finds the device and tells it, and no
            // offer sees the device before it is busy with the calls it takes back.
            foreach (var sid in openCalls.Distinct(StringComparer.Ordinal))
            {
                if (state.Calls.GetValueOrDefault(sid) is { IsEnded: false, AnsweredByDevice: { } earlier } call
                    && call.ClientIdentity == device.Identity && earlier != device.Id && !devices.IsRegistered(earlier))
                {
                    call.AnsweredByDevice = device.Id;
                    device.Answered(sid);
                    resumed.Add(sid);
                }
            }

            devices.Add(device);
        }

        return resumed;
    }

    /// <summary>Whether the device answered the call.</summary>
    public bool IsAnsweredBy(Call call, string deviceId)
    {
        lock (state.Sync)
        {
            return call.AnsweredByDevice == deviceId;
        }
    }

    private void Registered(Call call, string message)
    {
        events.Add("call", callSid: call.Sid, message: message);
        logger.LogInformation("Call {CallSid}: {Message}", call.Sid, message);
    }

    private async Task RunInboundAsync(Call call)
    {
        try
        {
            await ExecuteAsync(call, call.Instructions!);
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

            ConferenceJoin? join;
            TwimlSource? instructions;
            lock (state.Sync)
            {
                if (call.IsEnded)
                {
                    return;
                }

                call.Status = CallStatus.InProgress;
                call.StartTime = call.DateUpdated = time.GetUtcNow();

                // Read with the status change: a redirect before it changed these, one after it is pending.
                join = call.JoinOnAnswer;
                instructions = call.Instructions;
            }

            events.Add("call", callSid: call.Sid, message: $"answered by {call.To}");
            SendStatusCallback(call, "answered");
            if (join is not null)
            {
                await RunConferenceLegAsync(call, join);
            }
            else
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

        using var timeout = new CancellationTokenSource(RingTime(call), time);
        await using var onTimeout = timeout.Token.Register(() => call.RingOutcome.TrySetResult(CallStatus.NoAnswer));
        var outcome = await call.RingOutcome.Task;

        // Every other device stops ringing, whoever answered.
        WithdrawOffers(call);
        return outcome;
    }

    /// <summary>Twilio rings a client for its Timeout plus a 5 s buffer: a 20 s Timeout ends no-answer after about 25 s.</summary>
    public static readonly TimeSpan ClientRingBuffer = TimeSpan.FromSeconds(5);

    /// <summary>How long the call rings before it ends no-answer; the same whether devices or an answer rule take it.</summary>
    private static TimeSpan RingTime(Call call) => call.ClientIdentity is null ? call.Timeout : call.Timeout + ClientRingBuffer;

    private void WithdrawOffers(Call call)
    {
        string? answeredBy;
        lock (state.Sync)
        {
            // Answer records the device under this lock, after it completed the outcome.
            answeredBy = call.AnsweredByDevice;
        }

        devices.Withdraw(call, answeredBy);
    }

    /// <summary>
    /// A Participants API leg's time in its conference. A REST redirect takes it out (participant_updated_via_api)
    /// and the call runs the new TwiML; otherwise the call hangs up when it leaves.
    /// </summary>
    private async Task RunConferenceLegAsync(Call call, ConferenceJoin join)
    {
        using (var scope = CancellationTokenSource.CreateLinkedTokenSource(call.Ended.Token))
        {
            if (!EnterDocument(call, scope))
            {
                // Redirected between being answered and joining: it never joins.
                WithdrawPending(call);
            }
            else
            {
                try
                {
                    await conferences.RunLegAsync(call, join, scope.Token);
                    return;
                }
                catch (OperationCanceledException) when (!call.Ended.IsCancellationRequested)
                {
                    // RunLegAsync took it out of the conference.
                }
                finally
                {
                    LeaveDocument(call, scope);
                }
            }
        }

        await ExecuteAsync(call, null);
    }

    private void WithdrawPending(Call call)
    {
        lock (state.Sync)
        {
            if (call.Participant is { } pending)
            {
                conferences.Withdraw(pending);
            }
        }
    }

    /// <summary>Makes <paramref name="scope"/> what a redirect cancels; false when a redirect is already pending.</summary>
    private bool EnterDocument(Call call, CancellationTokenSource scope)
    {
        lock (state.Sync)
        {
            if (call.PendingRedirect is not null)
            {
                return false;
            }

            call.CurrentDocument = scope;
            return true;
        }
    }

    /// <summary>Before the scope is disposed: a redirect must never cancel a disposed source.</summary>
    private void LeaveDocument(Call call, CancellationTokenSource scope)
    {
        lock (state.Sync)
        {
            if (call.CurrentDocument == scope)
            {
                call.CurrentDocument = null;
            }
        }
    }

    private TwimlSource? TakeRedirect(Call call)
    {
        lock (state.Sync)
        {
            var pending = call.PendingRedirect;
            call.PendingRedirect = null;
            return pending;
        }
    }

    /// <summary>
    /// Fetches and runs TwiML, starting with <paramref name="source"/>, until the call ends or runs out of verbs. A REST
    /// redirect interrupts the document being fetched or run; one that came while nothing ran replaces the next document.
    /// </summary>
    private async Task ExecuteAsync(Call call, TwimlSource? source)
    {
        var next = source;
        while (!call.Ended.IsCancellationRequested)
        {
            next = TakeRedirect(call) ?? next;
            if (next is null)
            {
                return;
            }

            // The scope exists before the fetch, so a redirect during the fetch interrupts it too.
            using var scope = CancellationTokenSource.CreateLinkedTokenSource(call.Ended.Token);
            if (!EnterDocument(call, scope))
            {
                // A redirect came in just now: the next pass takes it.
                continue;
            }

            try
            {
                next = await RunDocumentAsync(call, next, scope.Token);
            }
            catch (OperationCanceledException) when (!call.Ended.IsCancellationRequested)
            {
                // Interrupted by a redirect: the next pass takes it.
                next = null;
            }
            catch (TwimlException exception)
            {
                events.Add("error", callSid: call.Sid, errorCode: exception.Code, message: exception.Message);
                logger.LogWarning("Call {CallSid} ends: error {ErrorCode} {Message}", call.Sid, exception.Code, exception.Message);
                next = null;
            }
            finally
            {
                LeaveDocument(call, scope);
            }
        }
    }

    private async Task<TwimlSource?> RunDocumentAsync(Call call, TwimlSource source, CancellationToken cancellationToken)
    {
        var document = await media.FetchAsync(call, source, "voice-webhook", media.VoiceParameters(call), cancellationToken);
        lock (state.Sync)
        {
            if (call.PendingRedirect is not null)
            {
                // Redirected while this document was fetched: none of its verbs run.
                return null;
            }
        }

        // Relative URLs in the document are relative to the URL it came from (inline TwiML has none).
        return await RunVerbsAsync(call, document, source.Url, cancellationToken);
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

        // waitUrl="" is silence, not the document's own URL.
        var waitUrl = Twiml.Attribute(noun, "waitUrl");
        var join = new ConferenceJoin(
            FriendlyName: noun.Value.Trim(),
            StartConferenceOnEnter: Twiml.BoolAttribute(noun, "startConferenceOnEnter", true),
            EndConferenceOnExit: Twiml.BoolAttribute(noun, "endConferenceOnExit", false),
            Muted: Twiml.BoolAttribute(noun, "muted", false),
            Beep: Twiml.Attribute(noun, "beep") ?? "true",
            Label: Twiml.Attribute(noun, "participantLabel"),
            WaitUrl: waitUrl is { Length: > 0 } ? Resolve(documentUrl, waitUrl) : waitUrl,
            WaitMethod: Twiml.Attribute(noun, "waitMethod") ?? "POST",
            MaxParticipants: Twiml.IntAttribute(noun, "maxParticipants", 250),
            StatusCallback: Twiml.Attribute(noun, "statusCallback") is { } callback ? Resolve(documentUrl, callback) : null,
            StatusCallbackMethod: Twiml.Attribute(noun, "statusCallbackMethod") ?? "POST",
            StatusCallbackEvents: ConferenceEngine.ParseEvents(Twiml.Attribute(noun, "statusCallbackEvent")));

        // Resolved before joining: an action that is no URL is an error now, not after the caller's time in the conference.
        var after = Twiml.Attribute(dial, "action") is { } dialAction
            ? new TwimlSource(Resolve(documentUrl, dialAction), Twiml.Attribute(dial, "method") ?? "POST", null)
            : null;
        await conferences.RunLegAsync(call, join, cancellationToken);
        return after;
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
        string? answeredBy;
        lock (state.Sync)
        {
            if (call.IsEnded)
            {
                return;
            }

            call.Status = status;
            call.EndTime = call.DateUpdated = time.GetUtcNow();
            participant = call.Participant;
            answeredBy = call.AnsweredByDevice;
        }

        call.RingOutcome.TrySetResult(status);
        _ = call.Ended.CancelAsync();
        events.Add("call", callSid: call.Sid, message: $"ended: {status}");
        logger.LogInformation("Call {CallSid} ended: {CallStatus}", call.Sid, status);
        if (participant is not null)
        {
            conferences.Leave(participant, "participant_hung_up", kicked: false);
        }

        devices.Withdraw(call, answeredBy);
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
            if (progressEvent == "initiated")
            {
                // Twilio reports the call as initiated, not queued, in this one callback.
                parameters["CallStatus"] = "initiated";
            }

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

    /// <summary>A URL in TwiML, relative to the document's URL; error 11100 unless that gives an absolute http(s) URL.</summary>
    public static string Resolve(string? baseUrl, string url)
    {
        var resolved = Uri.TryCreate(baseUrl, UriKind.Absolute, out var root) && Uri.TryCreate(root, url, out var absolute)
            ? absolute.ToString()
            : url;
        return Rest.TwilioForm.IsHttpUrl(resolved) ? resolved : throw new TwimlException(11100, $"Invalid URL format: '{url}'");
    }
}
