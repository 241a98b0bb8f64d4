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

    public CallCenterMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _callersQueued = meter.CreateCounter<long>("warmtransfer.callers.queued", "{caller}", "Callers who found no agent free and waited in line");
        _callersWaiting = meter.CreateUpDownCounter<long>("warmtransfer.callers.waiting", "{caller}", "Callers waiting in line for an agent now");
        _callsOffered = meter.CreateCounter<long>("warmtransfer.calls.offered", "{call}", "Calls offered to an agent");
        _timeToAnswer = meter.CreateHistogram<double>("warmtransfer.calls.time_to_answer", "s", "From the customer's call to the first agent joining");
        _dialFailures = meter.CreateCounter<long>("warmtransfer.dials.failed", "{dial}", "Agent dials Twilio refused or the agent did not answer");
        _transfersCompleted = meter.CreateCounter<long>("warmtransfer.transfers.completed", "{transfer}", "Transfers where the owner left the customer with the colleague");
        _transfersFailed = meter.CreateCounter<long>("warmtransfer.transfers.failed", "{transfer}", "Transfers the colleague declined, missed, left or dropped");
    }

    public void CallerQueued()
    {
        _callersQueued.Add(1);
        _callersWaiting.Add(1);
    }

    /// <summary>A caller left the line: offered to an agent, or hung up while waiting.</summary>
    public void CallerLeftLine() => _callersWaiting.Add(-1);

    public void CallOffered() => _callsOffered.Add(1);

    public void Answered(TimeSpan timeToAnswer) => _timeToAnswer.Record(timeToAnswer.TotalSeconds);

    public void DialFailed(string reason) => _dialFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void TransferCompleted() => _transfersCompleted.Add(1);

    public void TransferFailed(string reason) => _transfersFailed.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
