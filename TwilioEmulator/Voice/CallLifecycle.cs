using WarmTransfer.TwilioEmulator.Clients;
using WarmTransfer.TwilioEmulator.Delivery;
using WarmTransfer.TwilioEmulator.Model;

namespace WarmTransfer.TwilioEmulator.Voice;

/// <summary>How a call ends, whoever ends it: its conference, its devices and its last status callback are told once.</summary>
public sealed class CallLifecycle(
    EmulatorState state,
    EventLog events,
    ConferenceEngine conferences,
    DeviceHub devices,
    StatusCallbacks callbacks,
    TimeProvider time,
    ILogger<CallLifecycle> logger)
{
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
            callbacks.CallProgress(call, "completed");
            call.Callbacks.Complete();
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
    }
}
