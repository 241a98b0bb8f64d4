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
    string? Message);

/// <summary>The ordered event log, as Twilio's debugger and request inspector would show it.</summary>
public sealed class EventLog(TimeProvider time)
{
    public const int MaxResponseLength = 4000;
    private readonly List<EmulatorEvent> _events = [];

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
        string? message = null)
    {
        if (response is { Length: > MaxResponseLength })
        {
            response = response[..MaxResponseLength];
        }

        lock (_events)
        {
            var entry = new EmulatorEvent(_events.Count + 1, time.GetUtcNow(), kind, method, url, statusCode,
                parameters, response, callSid, conferenceSid, errorCode, message);
            _events.Add(entry);
            return entry;
        }
    }

    /// <summary>Events after <paramref name="afterSequence"/>, oldest first.</summary>
    public IReadOnlyList<EmulatorEvent> Since(long afterSequence)
    {
        lock (_events)
        {
            return _events.Skip((int)Math.Clamp(afterSequence, 0, _events.Count)).ToList();
        }
    }
}
