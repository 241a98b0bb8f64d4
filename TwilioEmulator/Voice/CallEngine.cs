using Microsoft.Extensions.Options;
using WarmTransfer.TwilioEmulator.Delivery;
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
/// A call's life the way Twilio runs it: placed (inbound from a simulated customer, outbound through REST), queued,
/// ringing (<see cref="CallRinging"/>), answered, running its TwiML (<see cref="TwimlInterpreter"/>) or its conference
/// leg, and ended (<see cref="CallLifecycle"/>); hang-up, cancel and redirect from REST.
/// </summary>
public sealed class CallEngine(
    EmulatorState state,
    EventLog events,
    CallRinging ringing,
    TwimlInterpreter twiml,
    CallLifecycle lifecycle,
    ConferenceEngine conferences,
    StatusCallbacks callbacks,
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
            // Each progress callback is raised with its status change, under the lock: sequence numbers follow the
            // changes, and nothing is raised after the call ended.
            callbacks.CallProgress(call, "initiated");
        }

        Registered(call, $"outbound call to {request.To}");
        _ = Task.Run(() => RunOutboundAsync(call));
        return call;
    }

    private void Registered(Call call, string message)
    {
        events.Add("call", callSid: call.Sid, message: message);
        logger.LogInformation("Call {CallSid}: {Message}", call.Sid, message);
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

        lifecycle.Finish(call, status);
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
            lifecycle.Finish(call, CallStatus.Canceled);
        }
    }

    /// <summary>
    /// REST Url or Twiml: a live call drops what it was doing (leaving its conference) and runs the new TwiML. An
    /// outbound call not answered yet runs it once answered, instead of its own TwiML or of joining its conference.
    /// False when the call has ended: there is nothing to redirect.
    /// </summary>
    public bool Redirect(Call call, TwimlSource source)
    {
        lock (state.Sync)
        {
            if (call.IsEnded)
            {
                return false;
            }

            if (call.Direction != "inbound" && call.Status is CallStatus.Queued or CallStatus.Ringing)
            {
                call.Instructions = source;
                call.JoinOnAnswer = null;
                if (call.Participant is { } joining)
                {
                    conferences.Withdraw(joining);
                }

                return true;
            }

            // Answered, or an inbound call still fetching its voice URL. The call takes the redirect before its
            // next document; CancelAsync runs the callbacks on the thread pool, not under this lock, and the
            // scope is cleared under this lock before it is disposed.
            call.PendingRedirect = source;
            _ = call.CurrentDocument?.CancelAsync();
            return true;
        }
    }

    private async Task RunInboundAsync(Call call)
    {
        try
        {
            await twiml.ExecuteAsync(call, call.Instructions!);
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
            lifecycle.Finish(call, CallStatus.Completed);
        }
    }

    private async Task RunOutboundAsync(Call call)
    {
        try
        {
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

                callbacks.CallProgress(call, "ringing");
            }

            var outcome = await ringing.RingAsync(call);
            if (outcome != CallStatus.InProgress)
            {
                lifecycle.Finish(call, outcome);
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
                callbacks.CallProgress(call, "answered");
            }

            events.Add("call", callSid: call.Sid, message: $"answered by {call.To}");
            if (join is not null)
            {
                await twiml.RunConferenceLegAsync(call, join);
            }
            else
            {
                await twiml.ExecuteAsync(call, instructions);
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
            lifecycle.Finish(call, CallStatus.Completed);
        }
    }

}
