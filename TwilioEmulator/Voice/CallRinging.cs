using WarmTransfer.TwilioEmulator.Clients;
using WarmTransfer.TwilioEmulator.Model;

namespace WarmTransfer.TwilioEmulator.Voice;

/// <summary>
/// Ringing an outbound call's target: an answer rule for it, else every registered device of a <c>client:</c> identity,
/// else a phone that picks up at once; until it answers, declines, or the ring time passes.
/// </summary>
public sealed class CallRinging(
    EmulatorState state,
    VoiceMedia media,
    DeviceHub devices,
    AnswerRules answerRules,
    TimeProvider time)
{
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

    /// <summary>Rings the target until it answers, declines, or the call's Timeout passes.</summary>
    public async Task<string> RingAsync(Call call)
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
}
