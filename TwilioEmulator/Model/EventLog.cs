namespace WarmTransfer.TwilioEmulator.Model;

/// <summary>One thing the emulator saw or did: a REST request, a webhook it sent, an error it logged.</summary>
public sealed record EmulatorEvent(
    long Sequence,
    DateTimeOffset Timestamp,
    string Kind,
    string? Method,
    string? Url,
    int? StatusCode,
    IReadOnlyDictionary<string, string>? Parameters,
    string? Response,
    string? CallSid,
    string? ConferenceSid,
    int? ErrorCode,
    string? Message,
    string? TraceParent = null,
    string? Delivery = null,
    int? Seed = null,
    string? Fault = null);

/// <summary>The ordered event log, as Twilio's debugger and request inspector would show it; the newest events only.</summary>
public sealed class EventLog(TimeProvider time)
{
    public const int MaxResponseLength = 4000;

    /// <summary>How many events are kept: a long-running emulator (a load test) must not grow without bound.</summary>
    public const int MaxEvents = 10_000;

    // Consecutive sequence numbers, oldest first; dropping the oldest keeps them consecutive.
    private readonly List<EmulatorEvent> _events = [];
    private long _lastSequence;

    public EmulatorEvent Add(
        string kind,
        string? method = null,
        string? url = null,
        int? statusCode = null,
        IReadOnlyDictionary<string, string>? parameters = null,
        string? response = null,
        string? callSid = null,
        string? conferenceSid = null,
        int? errorCode = null,
        string? message = null,
        string? traceParent = null,
        DateTimeOffset? timestamp = null,
        string? delivery = null,
        int? seed = null,
        string? fault = null)
    {
        if (response is { Length: > MaxResponseLength })
        {
            response = response[..MaxResponseLength];
        }

        lock (_events)
        {
            var entry = new EmulatorEvent(++_lastSequence, timestamp ?? time.GetUtcNow(), kind, method, url, statusCode,
                parameters, response, callSid, conferenceSid, errorCode, message, traceParent, delivery, seed, fault);
            _events.Add(entry);
            if (_events.Count > MaxEvents)
            {
                _events.RemoveRange(0, _events.Count - MaxEvents);
            }

            return entry;
        }
    }

    /// <summary>Events with a sequence number after <paramref name="afterSequence"/>, oldest first.</summary>
    public IReadOnlyList<EmulatorEvent> Since(long afterSequence)
    {
        lock (_events)
        {
            if (_events.Count == 0 || afterSequence < _events[0].Sequence)
            {
                return [.. _events];
            }

            // Sequence numbers are consecutive, so the first one wanted is found by arithmetic, not by searching.
            var skip = (int)Math.Min(afterSequence - _events[0].Sequence + 1, _events.Count);
            return _events.GetRange(skip, _events.Count - skip);
        }
    }
}
