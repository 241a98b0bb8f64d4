using WarmTransfer.TwilioEmulator.Delivery;

namespace WarmTransfer.TwilioEmulator.Model;

public static class ConferenceStatus
{
    public const string Init = "init";
    public const string InProgress = "in-progress";
    public const string Completed = "completed";
}

/// <summary>The &lt;Conference&gt; noun's attributes, or the Participants API's parameters, for one leg.</summary>
public sealed record ConferenceJoin(
    string FriendlyName,
    bool StartConferenceOnEnter = true,
    bool EndConferenceOnExit = false,
    bool Muted = false,
    string Beep = "true",
    string? Label = null,
    string? WaitUrl = null,
    string WaitMethod = "POST",
    int MaxParticipants = 250,
    string? StatusCallback = null,
    string StatusCallbackMethod = "POST",
    IReadOnlySet<string>? StatusCallbackEvents = null);

public sealed class Conference
{
    public required string Sid { get; init; }
    public required string AccountSid { get; init; }
    public required string FriendlyName { get; init; }
    public required DateTimeOffset DateCreated { get; init; }
    public DateTimeOffset DateUpdated { get; set; }
    public string Status { get; set; } = ConferenceStatus.Init;
    public string? ReasonConferenceEnded { get; set; }
    public string? CallSidEndingConference { get; set; }
    public int MaxParticipants { get; set; } = 250;

    /// <summary>Set by the first participant; later participants' values are ignored, as on Twilio.</summary>
    public string? StatusCallback { get; set; }
    public string StatusCallbackMethod { get; set; } = "POST";
    public IReadOnlySet<string> StatusCallbackEvents { get; set; } = new HashSet<string>();

    /// <summary>Participants connecting to or in the conference, in joining order.</summary>
    public List<Participant> Participants { get; } = [];

    /// <summary>Whether any participant ever connected: one nobody joined ends without status callbacks.</summary>
    public bool AnyoneConnected { get; set; }

    public CallbackQueue Callbacks { get; init; } = new();

    public int NextCallbackSequence() => ++_callbackSequence;

    private int _callbackSequence;
}

public static class ParticipantStatus
{
    public const string Queued = "queued";
    public const string Ringing = "ringing";
    public const string Connected = "connected";
    public const string Complete = "complete";
    public const string Failed = "failed";
}

public sealed class Participant
{
    public required string CallSid { get; init; }
    public required Conference Conference { get; init; }
    public required DateTimeOffset DateCreated { get; init; }
    public DateTimeOffset DateUpdated { get; set; }
    public string? Label { get; init; }
    public string Status { get; set; } = ParticipantStatus.Queued;
    public bool StartConferenceOnEnter { get; set; }
    public bool EndConferenceOnExit { get; set; }
    public bool Muted { get; set; }
    public bool Hold { get; set; }
    public string? HoldUrl { get; set; }
    public string HoldMethod { get; set; } = "GET";
    public string Beep { get; init; } = "true";
    public string? WaitUrl { get; init; }
    public string WaitMethod { get; init; } = "POST";

    /// <summary>What the participant hears: wait-music, hold-music, conference or silence.</summary>
    public string Audio { get; set; } = "silence";

    /// <summary>wait or hold while such music is due, null otherwise.</summary>
    public string? MediaKind { get; set; }

    /// <summary>The media loop playing now (wait or hold music), cancelled when what they should hear changes.</summary>
    public CancellationTokenSource? Media { get; set; }

    /// <summary>Resolved with the reason when the participant leaves.</summary>
    public TaskCompletionSource<string> Left { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
