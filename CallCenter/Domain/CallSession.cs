using System.Collections.Immutable;

namespace WarmTransfer.CallCenter.Domain;

/// <summary>Where a customer's call stands.</summary>
public enum CallPhase
{
    /// <summary>The customer waits in line for an agent (hold music).</summary>
    Waiting,

    /// <summary>An agent is being rung to take the customer.</summary>
    Offered,

    /// <summary>The owner is with the customer.</summary>
    Connected,

    /// <summary>The owner is with the customer and a consultant is being brought in (ringing or in).</summary>
    Consulting,

    /// <summary>
    /// The owner left while the consultant was ringing (or before the next free colleague was found): the customer hears hold
    /// music until the consultant joins.
    /// </summary>
    BlindTransfer,

    /// <summary>The customer hung up or an agent ended the call.</summary>
    Ended,
}

/// <summary>Why an agent's leg is in the call.</summary>
public enum AgentRole
{
    /// <summary>Dialed to take the customer (the owner once they join).</summary>
    Owner,

    /// <summary>Dialed by the owner to take the customer over (a transfer).</summary>
    Consultant,
}

/// <summary>
/// Where an agent's leg is, in the order a leg moves through: an event that names a status at or below the leg's own is
/// old news and changes nothing, whatever order Twilio delivered it in.
/// </summary>
public enum LegStatus
{
    /// <summary>The dial is asked for; Twilio has not created the call yet.</summary>
    Requested,
    Queued,
    Initiated,
    Ringing,

    /// <summary>The agent accepted; their leg is on its way into the conference.</summary>
    Answered,

    /// <summary>In the conference with the customer.</summary>
    Joined,

    /// <summary>Gone for good: see <see cref="AgentLeg.End"/>.</summary>
    Ended,
}

/// <summary>How an agent's leg ended.</summary>
public enum LegEnd
{
    /// <summary>The call completed (hung up after being answered).</summary>
    Completed,

    /// <summary>The leg left the conference.</summary>
    Left,

    /// <summary>The agent declined.</summary>
    Busy,
    NoAnswer,
    Failed,
    Canceled,

    /// <summary>Twilio would not create the call, even after retries.</summary>
    DialFailed,

    /// <summary>Withdrawn before any call existed (the customer left, or the transfer was cancelled).</summary>
    Withdrawn,
}

/// <summary>What became of a transfer.</summary>
public enum TransferOutcome
{
    /// <summary>Asked for the next free colleague: waiting in the priority line for one.</summary>
    Waiting,
    Ringing,
    Consulting,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>Why a transfer failed, in the owner's terms.</summary>
public enum TransferFailure
{
    Declined,
    NoAnswer,
    Failed,

    /// <summary>The consultant pressed Leave during the consultation.</summary>
    Left,

    /// <summary>The consultant's leg ended without Leave (hung up, softphone gone).</summary>
    Dropped,

    /// <summary>The consultant's page went away while they were rung.</summary>
    Offline,
}

/// <summary>The customer's side of the call. Their CallSid is the session's id (a callback's call is in <see cref="CallSession.Callback"/>).</summary>
/// <param name="ConferenceSid">The conference the customer is in or will join; a callback's conference is a new one.</param>
/// <param name="PastConference">A conference the customer left for good (the line's, before a callback): its events change nothing.</param>
/// <param name="HeldSince">When Twilio put the customer on hold, while they are on it.</param>
/// <param name="HeldFor">How long the customer has been on hold before <paramref name="HeldSince"/>, in all.</param>
/// <param name="OnHold">Hearing hold music through the Participants API.</param>
/// <param name="HoldSequence">The conference event sequence of the last hold or unhold seen, so an older one changes nothing.</param>
/// <param name="HeldForAgent">Held because no agent is with them: the next agent to join takes them off hold.</param>
public sealed record CustomerLeg(string? Number, string? ConferenceSid = null, bool OnHold = false, int HoldSequence = 0, bool HeldForAgent = false,
    string? PastConference = null, DateTimeOffset? HeldSince = null, TimeSpan HeldFor = default)
{
    /// <summary>The customer's time on hold until <paramref name="now"/>.</summary>
    public TimeSpan HoldTime(DateTimeOffset now) => HeldFor + (HeldSince is { } since ? now - since : TimeSpan.Zero);
}

/// <summary>Where a callback the customer asked for stands.</summary>
public enum CallbackStatus
{
    /// <summary>Their entry keeps its place in line (or, after a missed attempt, waits for <see cref="Callback.RetryAt"/>).</summary>
    Waiting,

    /// <summary>An agent accepted: the customer is being called from the support number.</summary>
    Calling,

    /// <summary>The customer answered and is with the agent.</summary>
    Answered,

    /// <summary>Every attempt went unanswered: the entry ended.</summary>
    Failed,
}

/// <summary>
/// The customer asked to be called back when their turn comes, and hung up: their entry keeps its place in line. Each time it
/// reaches the front an agent is rung first, and the customer is called once the agent accepts (an attempt). The retry policy
/// is fixed when the customer asks, so a decision never depends on configuration read later.
/// </summary>
/// <param name="MaxAttempts">Calls to the customer before the entry ends as failed.</param>
/// <param name="RetryDelay">How long after a missed attempt the entry goes back to the front of the line.</param>
/// <param name="Attempts">Calls to the customer started so far.</param>
/// <param name="AttemptId">The attempt under way: the owner leg's id, which names the customer's call in its webhooks.</param>
/// <param name="CallSid">The attempt's call to the customer, once Twilio made it.</param>
/// <param name="LastSequence">The call-progress SequenceNumber last applied for the attempt (-1: none yet; Twilio numbers from 0).</param>
/// <param name="RetryAt">After a missed attempt: when the entry goes back to the front of the line.</param>
public sealed record Callback(
    DateTimeOffset RequestedAt,
    int MaxAttempts,
    TimeSpan RetryDelay,
    CallbackStatus Status = CallbackStatus.Waiting,
    int Attempts = 0,
    string? AttemptId = null,
    string? CallSid = null,
    int LastSequence = -1,
    DateTimeOffset? RetryAt = null)
{
    /// <summary>The customer's call is up or on its way: what they do now is the call's, not the line's.</summary>
    public bool IsCalling => Status is CallbackStatus.Calling or CallbackStatus.Answered;
}

/// <summary>One call to one agent's softphone for this session.</summary>
/// <param name="Id">Unique in the session; chosen before the call exists, so callbacks and dials can name it.</param>
/// <param name="LastSequence">The call-progress SequenceNumber last applied (-1: none yet; Twilio numbers from 0).</param>
/// <param name="Withdrawn">The session no longer wants this leg: it is cancelled, or removed if it answers anyway.</param>
/// <param name="LeaveRequested">The agent pressed Leave: their leg ending is not a drop.</param>
/// <param name="RequestedAt">When the dial was asked for.</param>
public sealed record AgentLeg(
    string Id,
    string AgentId,
    AgentRole Role,
    LegStatus Status,
    LegEnd? End = null,
    string? CallSid = null,
    int LastSequence = -1,
    bool Withdrawn = false,
    bool LeaveRequested = false,
    DateTimeOffset? RequestedAt = null)
{
    public bool IsLive => Status != LegStatus.Ended;

    /// <summary>Accepted the call: Twilio may have them in the conference, so ending it means completing, not cancelling.</summary>
    public bool HasAnswered => Status is LegStatus.Answered or LegStatus.Joined || End is LegEnd.Completed or LegEnd.Left;
}

/// <param name="FromAgentId">The owner who asked for it.</param>
/// <param name="Blind">The owner left before the consultant answered (a cold transfer, or a warm one the owner left early).</param>
/// <param name="ToAgentId">The colleague; null while the transfer waits for the next free one.</param>
/// <param name="ConsultantLegId">The colleague's leg; null while the transfer waits.</param>
/// <param name="Note">What the owner wrote for the consultant.</param>
/// <param name="AskedAt">When the owner asked for it.</param>
public sealed record Transfer(string FromAgentId, string? ToAgentId, string? ConsultantLegId, TransferOutcome Outcome, TransferFailure? Failure = null,
    bool Blind = false, string? Note = null, DateTimeOffset? AskedAt = null)
{
    public bool IsUnderWay => Outcome is TransferOutcome.Waiting or TransferOutcome.Ringing or TransferOutcome.Consulting;
}

/// <summary>
/// One customer call: the customer, every agent leg, who owns the customer, the transfer under way or last made.
/// It is changed only by <see cref="CallDecisions.Decide"/>; stores persist it whole, with its version.
/// </summary>
/// <param name="Id">The customer's CallSid, also the conference's friendly name.</param>
/// <param name="OwnerLegId">The leg that has the customer (Connected, Consulting) or is offered them (Offered).</param>
/// <param name="EndedBy">The agent who pressed End call, when one did.</param>
/// <param name="Problem">What last went wrong that the agents should know (a command Twilio refused), until their next action.</param>
/// <param name="Callback">The callback the customer asked for instead of waiting on the line.</param>
public sealed record CallSession(
    string Id,
    CallPhase Phase,
    CustomerLeg Customer,
    ImmutableList<AgentLeg> Legs,
    string? OwnerLegId,
    Transfer? Transfer,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ConnectedAt,
    DateTimeOffset UpdatedAt,
    string? EndedBy,
    long Version,
    string? Problem = null,
    Callback? Callback = null)
{
    /// <summary>A customer call has arrived and waits for an agent.</summary>
    public static CallSession Start(string customerCallSid, string? customerNumber, DateTimeOffset now) =>
        new(customerCallSid, CallPhase.Waiting, new CustomerLeg(customerNumber), [], null, null, now, null, now, null, 0);

    public AgentLeg? Leg(string legId) => Legs.Find(leg => leg.Id == legId);

    public AgentLeg? Owner => OwnerLegId is { } id ? Leg(id) : null;

    /// <summary>The consultant of the transfer under way.</summary>
    public AgentLeg? Consultant => Transfer is { IsUnderWay: true, ConsultantLegId: { } legId } ? Leg(legId) : null;

    /// <summary>The agent's leg that is still up, if any (an agent has at most one at a time).</summary>
    public AgentLeg? LiveLegOf(string agentId) => Legs.FindLast(leg => leg.AgentId == agentId && leg.IsLive);

    /// <summary>
    /// The leg a conference event names: the one with its CallSid, else the agent's latest leg whose CallSid is not known yet
    /// (a CallSid that belongs to none of the agent's legs is some other call's).
    /// </summary>
    public AgentLeg? LegFor(string? callSid, string agentId) =>
        callSid is null
            ? Legs.FindLast(leg => leg.AgentId == agentId)
            : Legs.Find(leg => leg.CallSid == callSid) ?? Legs.FindLast(leg => leg.AgentId == agentId && leg.CallSid is null);

    /// <summary>Agents whose leg is still up.</summary>
    public IEnumerable<string> BusyAgents => Legs.Where(leg => leg.IsLive).Select(leg => leg.AgentId).Distinct();

    public bool IsEnded => Phase == CallPhase.Ended;

    /// <summary>The customer's call now: their own, or the callback's once it is made. Null while a callback waits (no call).</summary>
    public string? CustomerCallSid => Callback is { } callback ? callback.CallSid : Id;

    /// <summary>The customer is with us on a call (theirs, or an answered callback): a live customer to hold, resume, or talk to.</summary>
    public bool CustomerOnCall => Callback is null or { Status: CallbackStatus.Answered };

    internal CallSession WithLeg(AgentLeg leg) =>
        this with { Legs = Legs.FindIndex(l => l.Id == leg.Id) is var index and >= 0 ? Legs.SetItem(index, leg) : Legs.Add(leg) };
}
