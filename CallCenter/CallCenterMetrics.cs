using System.Diagnostics.Metrics;

namespace WarmTransfer.CallCenter;

/// <summary>The numbers a contact center lives by, exported through OpenTelemetry (meter <c>WarmTransfer</c>).</summary>
public sealed class CallCenterMetrics
{
    public const string MeterName = "WarmTransfer";

    private readonly Counter<long> _callersQueued;
    private readonly UpDownCounter<long> _callersWaiting;
    private readonly Counter<long> _callsOffered;
    private readonly Histogram<double> _timeToAnswer;
    private readonly Counter<long> _dialFailures;
    private readonly Counter<long> _transfersCompleted;
    private readonly Counter<long> _transfersFailed;
    private readonly Histogram<double> _wrapUp;
    private readonly Histogram<double> _handleTime;
    private readonly Counter<long> _webhooksRejected;
    private readonly Counter<long> _callbacks;

    public CallCenterMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _callersQueued = meter.CreateCounter<long>("warmtransfer.callers.queued", "{caller}", "Callers who found no agent free and waited in line");
        _callersWaiting = meter.CreateUpDownCounter<long>("warmtransfer.callers.waiting", "{caller}", "Callers waiting in line for an agent now");
        _callsOffered = meter.CreateCounter<long>("warmtransfer.calls.offered", "{call}", "Calls offered to an agent");
        _timeToAnswer = meter.CreateHistogram<double>("warmtransfer.calls.time_to_answer", "s", "From the customer's call to the first agent joining");
        _dialFailures = meter.CreateCounter<long>("warmtransfer.dials.failed", "{dial}", "Agent dials Twilio refused or the agent did not answer");
        _transfersCompleted = meter.CreateCounter<long>("warmtransfer.transfers.completed", "{transfer}", "Transfers where the owner left the customer with the colleague");
        _webhooksRejected = meter.CreateCounter<long>("warmtransfer.webhooks.rejected", "{request}", "Requests to the Twilio-facing routes refused for a missing or wrong signature");
        _transfersFailed = meter.CreateCounter<long>("warmtransfer.transfers.failed", "{transfer}", "Transfers the colleague declined, missed, left or dropped");
        _callbacks = meter.CreateCounter<long>("warmtransfer.callbacks", "{callback}", "Callbacks by outcome: requested, answered, failed");
        _wrapUp = meter.CreateHistogram<double>("warmtransfer.agents.wrap_up", "s", "An agent's after-call work, from the end of their part in a call to Ready or the timer");
        _handleTime = meter.CreateHistogram<double>("warmtransfer.agents.handle_time", "s", "An agent's part in a call, from answering to the end of their wrap-up");
    }

    public void CallerQueued()
    {
        _callersQueued.Add(1);
        _callersWaiting.Add(1);
    }

    /// <summary>A caller left the line: offered to an agent, or hung up while waiting.</summary>
    public void CallerLeftLine() => _callersWaiting.Add(-1);

    public void WebhookRejected() => _webhooksRejected.Add(1);

    public void CallOffered() => _callsOffered.Add(1);

    public void Answered(TimeSpan timeToAnswer) => _timeToAnswer.Record(timeToAnswer.TotalSeconds);

    public void DialFailed(string reason) => _dialFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void TransferCompleted() => _transfersCompleted.Add(1);

    /// <summary>An agent's part in a call is over for good: its wrap-up (when they had one) and the whole handle time.</summary>
    public void Handled(TimeSpan? wrapUp, TimeSpan? handleTime)
    {
        if (wrapUp is { } wrap)
        {
            _wrapUp.Record(wrap.TotalSeconds);
        }

        if (handleTime is { } handle)
        {
            _handleTime.Record(handle.TotalSeconds);
        }
    }

    /// <summary>A callback was asked for, reached the customer, or ended unanswered after its attempts.</summary>
    public void Callback(string outcome) => _callbacks.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void TransferFailed(string reason) => _transfersFailed.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
