using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.Figures;

namespace WarmTransfer.CallCenter;

/// <summary>
/// The numbers a contact center lives by, exported through OpenTelemetry (meter <c>WarmTransfer</c>). The counters and
/// histograms come from the contact events, each recorded once (<see cref="Record"/>, by the figures consumer); the gauges are
/// read from the line itself when exported (<see cref="ObserveLine"/>).
/// </summary>
public sealed class CallCenterMetrics
{
    public const string MeterName = "WarmTransfer";

    private readonly Meter _meter;
    private readonly IOptionsMonitor<FiguresOptions> _options;
    private readonly Counter<long> _offered;
    private readonly Counter<long> _answered;
    private readonly Counter<long> _abandoned;
    private readonly Counter<long> _transfers;
    private readonly Counter<long> _callbacks;
    private readonly Histogram<double> _speedOfAnswer;
    private readonly Histogram<double> _talkTime;
    private readonly Histogram<double> _holdTime;
    private readonly Histogram<double> _wrapUp;
    private readonly Histogram<double> _handleTime;
    private readonly Histogram<double> _timeToTransfer;
    private readonly Counter<long> _dialFailures;
    private readonly Counter<long> _webhooksRejected;

    public CallCenterMetrics(IMeterFactory meters, IOptionsMonitor<FiguresOptions> options)
    {
        _meter = meters.Create(MeterName);
        _options = options;
        _offered = _meter.CreateCounter<long>("warmtransfer.calls.offered", "{call}", "Calls that reached the line");
        _answered = _meter.CreateCounter<long>("warmtransfer.calls.answered", "{call}",
            "Calls answered by their first agent; within_service_level says whether within Metrics:ServiceLevelSeconds");
        _abandoned = _meter.CreateCounter<long>("warmtransfer.calls.abandoned", "{call}",
            "Callers who hung up before any agent answered; short when sooner than Metrics:ShortAbandon, where: line or ringing");
        _transfers = _meter.CreateCounter<long>("warmtransfer.transfers", "{transfer}", "Transfers by outcome: asked, completed, failed (with reason), cancelled");
        _callbacks = _meter.CreateCounter<long>("warmtransfer.callbacks", "{callback}", "Callbacks by outcome: requested, answered, failed");
        _speedOfAnswer = _meter.CreateHistogram<double>("warmtransfer.calls.speed_of_answer", "s", "From the call's arrival to its first agent answering");
        _talkTime = _meter.CreateHistogram<double>("warmtransfer.calls.talk_time", "s", "An answered call's time connected, less its hold time");
        _holdTime = _meter.CreateHistogram<double>("warmtransfer.calls.hold_time", "s", "An answered call's time on hold");
        _wrapUp = _meter.CreateHistogram<double>("warmtransfer.agents.wrap_up", "s", "An agent's after-call work, from the end of their part in a call to Ready or the timer");
        _handleTime = _meter.CreateHistogram<double>("warmtransfer.agents.handle_time", "s", "An agent's part in a call, from answering to the end of their wrap-up");
        _timeToTransfer = _meter.CreateHistogram<double>("warmtransfer.transfers.time_to_transfer", "s", "From asking for a transfer to the colleague taking the customer");
        _dialFailures = _meter.CreateCounter<long>("warmtransfer.dials.failed", "{dial}", "Call creations Twilio refused after every retry");
        _webhooksRejected = _meter.CreateCounter<long>("warmtransfer.webhooks.rejected", "{request}", "Requests to the Twilio-facing routes refused for a missing or wrong signature");
    }

    /// <summary>Records what one contact event counts for.</summary>
    public void Record(ContactEvent e)
    {
        switch (e.Kind)
        {
            case ContactEventKind.Entered:
                _offered.Add(1);
                break;
            case ContactEventKind.Answered:
                var wait = e.Duration ?? TimeSpan.Zero;
                _answered.Add(1, new KeyValuePair<string, object?>("within_service_level", wait <= TimeSpan.FromSeconds(_options.CurrentValue.ServiceLevelSeconds)));
                _speedOfAnswer.Record(wait.TotalSeconds);
                break;
            case ContactEventKind.Abandoned:
                _abandoned.Add(1, new("short", (e.Duration ?? TimeSpan.Zero) < _options.CurrentValue.ShortAbandon), new("where", e.Detail));
                break;
            case ContactEventKind.CallEnded:
                _talkTime.Record((e.Duration ?? TimeSpan.Zero).TotalSeconds);
                _holdTime.Record((e.Hold ?? TimeSpan.Zero).TotalSeconds);
                break;
            case ContactEventKind.TransferAsked:
                _transfers.Add(1, new KeyValuePair<string, object?>("outcome", "asked"));
                break;
            case ContactEventKind.TransferCompleted:
                _transfers.Add(1, new KeyValuePair<string, object?>("outcome", "completed"));
                if (e.Duration is { } took)
                {
                    _timeToTransfer.Record(took.TotalSeconds);
                }

                break;
            case ContactEventKind.TransferFailed:
                _transfers.Add(1, new("outcome", "failed"), new("reason", e.Detail));
                break;
            case ContactEventKind.TransferCancelled:
                _transfers.Add(1, new KeyValuePair<string, object?>("outcome", "cancelled"));
                break;
            case ContactEventKind.CallbackRequested:
                _callbacks.Add(1, new KeyValuePair<string, object?>("outcome", "requested"));
                break;
            case ContactEventKind.CallbackCompleted:
                _callbacks.Add(1, new KeyValuePair<string, object?>("outcome", "answered"));
                break;
            case ContactEventKind.CallbackFailed:
                _callbacks.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
                break;
            case ContactEventKind.WrapUpEnded:
                _wrapUp.Record((e.Duration ?? TimeSpan.Zero).TotalSeconds);
                break;
            case ContactEventKind.Handled:
                _handleTime.Record((e.Duration ?? TimeSpan.Zero).TotalSeconds);
                break;
        }
    }

    /// <summary>The gauges, read from the line by <paramref name="read"/> each time they are exported.</summary>
    public void ObserveLine(Func<LineFigures> read)
    {
        _meter.CreateObservableGauge("warmtransfer.callers.waiting", () => read().CallersWaiting, "{caller}", "Callers waiting in line now (callbacks included)");
        _meter.CreateObservableGauge("warmtransfer.callers.longest_wait", () => read().LongestWait.TotalSeconds, "s", "How long the longest-waiting caller has waited");
        _meter.CreateObservableGauge("warmtransfer.agents", () => read().AgentsByActivity.Select(pair =>
            new Measurement<int>(pair.Value, new KeyValuePair<string, object?>("activity", pair.Key))), "{agent}", "Agents by activity now");
        _meter.CreateObservableGauge("warmtransfer.calls.in_progress", () => read().CallsInProgress, "{call}", "Answered calls not ended");
        _meter.CreateObservableGauge("warmtransfer.transfers.in_progress", () => read().TransfersInProgress, "{transfer}", "Transfers asked for and not over");
    }

    public void WebhookRejected() => _webhooksRejected.Add(1);

    public void DialFailed(string reason) => _dialFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));
}

/// <summary>The line as it is now.</summary>
public sealed record LineFigures(int CallersWaiting, TimeSpan LongestWait, IReadOnlyDictionary<string, int> AgentsByActivity, int CallsInProgress,
    int TransfersInProgress);
