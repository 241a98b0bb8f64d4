using WarmTransfer.TwilioEmulator.Delivery;

namespace WarmTransfer.TwilioEmulator.Model;

public static class CallStatus
{
    public const string Queued = "queued";
    public const string Ringing = "ringing";
    public const string InProgress = "in-progress";
    public const string Completed = "completed";
    public const string Busy = "busy";
    public const string Failed = "failed";
    public const string NoAnswer = "no-answer";
    public const string Canceled = "canceled";

    public static bool IsFinal(string status) =>
        status is Completed or Busy or Failed or NoAnswer or Canceled;
}

/// <summary>Where a call gets its TwiML: a URL fetched with a method, or a document given inline.</summary>
/// <param name="Parameters">Sent with the request beside the call's own parameters (a Gather's <c>Digits</c>).</param>
public sealed record TwimlSource(string? Url, string Method, string? Twiml, IReadOnlyDictionary<string, string>? Parameters = null);

/// <summary>An emulated call. Mutable state changes only under <see cref="EmulatorState.Sync"/>.</summary>
public sealed class Call
{
    public required string Sid { get; init; }
    public required string AccountSid { get; init; }
    public required string From { get; init; }
    public required string To { get; init; }

    /// <summary><c>inbound</c> or <c>outbound-api</c>.</summary>
    public required string Direction { get; init; }

    public required DateTimeOffset DateCreated { get; init; }
    public DateTimeOffset DateUpdated { get; set; }
    public string Status { get; set; } = CallStatus.Queued;
    public DateTimeOffset? StartTime { get; set; }
    public DateTimeOffset? EndTime { get; set; }

    public TwimlSource? Instructions { get; set; }
    public string? StatusCallback { get; init; }
    public string StatusCallbackMethod { get; init; } = "POST";
    public IReadOnlySet<string> StatusCallbackEvents { get; init; } = new HashSet<string>();
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Set for a call placed by the Participants API: it joins the conference as soon as it is answered.
    /// Cleared when a REST redirect gives the call new TwiML before it is answered.
    /// </summary>
    public ConferenceJoin? JoinOnAnswer { get; set; }

    /// <summary>The conference this call is in right now, if any.</summary>
    public Participant? Participant { get; set; }

    /// <summary>Resolved once with the ring outcome: in-progress, busy, no-answer, failed or canceled.</summary>
    public TaskCompletionSource<string> RingOutcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Cancelled when the call ends.</summary>
    public CancellationTokenSource Ended { get; } = new();

    /// <summary>
    /// Cancelled to interrupt what the call runs now (a TwiML document, or a Participants API leg's time in its
    /// conference) for a REST update with new Url or Twiml. Null while nothing can be interrupted; cleared before it is disposed.
    /// </summary>
    public CancellationTokenSource? CurrentDocument { get; set; }

    /// <summary>The TwiML of a REST update, taken by the call before it runs its next document.</summary>
    public TwimlSource? PendingRedirect { get; set; }

    /// <summary>Where the keys pressed on the call go while a &lt;Gather&gt; listens; null otherwise (Twilio ignores them then).</summary>
    public System.Threading.Channels.ChannelWriter<char>? Keypad { get; set; }

    /// <summary>The device that answered a <c>client:</c> call.</summary>
    public string? AnsweredByDevice { get; set; }

    public CallbackQueue Callbacks { get; init; } = new();

    public int NextCallbackSequence() => _callbackSequence++;

    private int _callbackSequence;

    public bool IsEnded => CallStatus.IsFinal(Status);

    public string? ClientIdentity => To.StartsWith("client:", StringComparison.Ordinal) ? To["client:".Length..] : null;

    public long? DurationSeconds => StartTime is { } start && EndTime is { } end
        ? (long)Math.Round((end - start).TotalSeconds)
        : EndTime is null ? null : 0;
}
