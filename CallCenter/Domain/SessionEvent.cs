namespace WarmTransfer.CallCenter.Domain;

/// <summary>Something that happened to a call session: a Twilio callback, an agent's action, routing, or what reconciliation found.</summary>
public abstract record SessionEvent
{
    /// <summary>Routing took <paramref name="AgentId"/> for the waiting customer; <paramref name="LegId"/> names the leg to dial.</summary>
    public sealed record AgentOffered(string LegId, string AgentId) : SessionEvent;

    /// <summary>
    /// An agent leg's call progress: a status callback (with its SequenceNumber), or Twilio's REST view found by reconciliation
    /// (no sequence).
    /// </summary>
    public sealed record LegProgress(string LegId, string CallSid, LegCallStatus Status, int? Sequence = null) : SessionEvent;

    /// <summary>Twilio would not create the leg's call, even after retries.</summary>
    public sealed record DialFailed(string LegId) : SessionEvent;

    /// <summary>An agent's leg joined the conference (the participant label is the agent id).</summary>
    public sealed record AgentJoined(string AgentId, string? CallSid, string? ConferenceSid) : SessionEvent;

    /// <summary>An agent's leg left the conference.</summary>
    public sealed record AgentLeft(string AgentId, string? CallSid, string? ConferenceSid) : SessionEvent;

    /// <summary>The customer entered their conference (hold music until an agent joins).</summary>
    public sealed record CustomerJoined(string? ConferenceSid) : SessionEvent;

    /// <summary>The customer was put on hold or taken off it; <paramref name="Sequence"/> is the conference event's SequenceNumber.</summary>
    public sealed record CustomerHoldChanged(bool OnHold, int Sequence) : SessionEvent;

    /// <summary>
    /// The customer's call is over: they left the conference, the conference ended, or Twilio says the call
    /// <paramref name="CallSid"/> completed (an event about another call than the customer's now changes nothing).
    /// </summary>
    public sealed record CustomerLeft(string? ConferenceSid = null, string? CallSid = null) : SessionEvent;

    /// <summary>
    /// The owner asks to bring <paramref name="ColleagueId"/> in, who routing has already taken for the leg <paramref name="LegId"/>;
    /// with neither, the next free colleague (the transfer waits in the priority line until one is freed).
    /// </summary>
    /// <param name="Note">What the owner writes for the colleague, shown to them while they ring and in the call.</param>
    /// <param name="AndLeave">A cold transfer: the owner leaves at once, and the customer hears hold music until the colleague answers.</param>
    public sealed record TransferRequested(string AgentId, string? ColleagueId, string? LegId, string? Note = null, bool AndLeave = false) : SessionEvent;

    /// <summary>The agent's page went away (closed, or its heartbeat stopped) while they were rung on <paramref name="LegId"/>.</summary>
    public sealed record AgentGone(string AgentId, string LegId) : SessionEvent;

    /// <summary>Routing took <paramref name="AgentId"/> for the transfer waiting for the next free colleague.</summary>
    public sealed record ColleagueFound(string LegId, string AgentId) : SessionEvent;

    public sealed record CancelTransferRequested(string AgentId) : SessionEvent;

    public sealed record HoldRequested(string AgentId, bool Hold) : SessionEvent;

    public sealed record LeaveRequested(string AgentId) : SessionEvent;

    public sealed record EndRequested(string AgentId) : SessionEvent;

    /// <summary>The owner hands the customer back to the line: at its front, on hold music, for the next available agent.</summary>
    public sealed record ReturnToQueueRequested(string AgentId) : SessionEvent;

    /// <summary>
    /// The waiting customer pressed 1 to be called back: their entry keeps its place in line, and they hang up. The policy is
    /// configuration read when they ask.
    /// </summary>
    public sealed record CallbackRequested(int MaxAttempts, TimeSpan RetryDelay) : SessionEvent;

    /// <summary>
    /// The waiting customer is about to be offered a callback again: their call leaves the line's conference for the offer (a
    /// Gather is not allowed in a conference's wait music) and comes back to a new one unless they press 1. Their place in line
    /// stays.
    /// </summary>
    public sealed record CallbackOfferRepeated : SessionEvent;

    /// <summary>Twilio did not take the waiting customer's call to the offer: they are still in the line's conference.</summary>
    public sealed record CallbackOfferNotMade : SessionEvent;

    /// <summary>
    /// The progress of a callback's call to the customer (<paramref name="AttemptId"/> names the attempt): a status callback with
    /// its SequenceNumber, the call's answer fetching its TwiML, or Twilio's REST view found by reconciliation (no sequence).
    /// </summary>
    public sealed record CustomerCallProgress(string AttemptId, string CallSid, LegCallStatus Status, int? Sequence = null) : SessionEvent;

    /// <summary>Twilio would not create the callback's call to the customer, even after retries.</summary>
    public sealed record CustomerDialFailed(string AttemptId) : SessionEvent;

    /// <summary>The wait after a missed callback attempt is over: the entry goes back to the front of the line.</summary>
    public sealed record CallbackDue : SessionEvent;

    /// <summary>Twilio refused a call-control command for good; <paramref name="What"/> says so in words for the agents.</summary>
    public sealed record CommandFailed(string What) : SessionEvent;
}

/// <summary>Twilio's CallStatus values for an agent leg.</summary>
public enum LegCallStatus
{
    Queued,
    Initiated,
    Ringing,
    InProgress,
    Completed,
    Busy,
    NoAnswer,
    Failed,
    Canceled,
}

public static class LegCallStatuses
{
    /// <summary>Reads Twilio's CallStatus (<c>in-progress</c>, <c>no-answer</c>, …); false for anything else.</summary>
    public static bool TryParse(string? value, out LegCallStatus status)
    {
        (var known, status) = value switch
        {
            "queued" => (true, LegCallStatus.Queued),
            "initiated" => (true, LegCallStatus.Initiated),
            "ringing" => (true, LegCallStatus.Ringing),
            "in-progress" or "answered" => (true, LegCallStatus.InProgress),
            "completed" => (true, LegCallStatus.Completed),
            "busy" => (true, LegCallStatus.Busy),
            "no-answer" => (true, LegCallStatus.NoAnswer),
            "failed" => (true, LegCallStatus.Failed),
            "canceled" => (true, LegCallStatus.Canceled),
            _ => (false, default),
        };
        return known;
    }

    public static bool IsFinal(this LegCallStatus status) => status >= LegCallStatus.Completed;
}
