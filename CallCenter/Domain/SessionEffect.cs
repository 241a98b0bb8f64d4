namespace WarmTransfer.CallCenter.Domain;

/// <summary>
/// What a decision asks the services to do. Effects are data: the service that stored the decision carries them out
/// (call control through the worker's command queue, routing and agent state in Redis, pushes through the portal).
/// </summary>
public abstract record SessionEffect
{
    /// <summary>Create the leg's call to the agent's softphone (the dial queue, paced).</summary>
    public sealed record DialAgent(string LegId, string AgentId, AgentRole Role) : SessionEffect;

    /// <summary>Call the customer back from the support number (the dial queue, paced) for the callback's attempt.</summary>
    public sealed record DialCustomer(string AttemptId, string Number) : SessionEffect;

    /// <summary>Cancel a leg (or a callback's call) that has not been answered. With no CallSid the dial has not produced a call: the dialer finds the leg withdrawn.</summary>
    public sealed record CancelLeg(string LegId, string? CallSid) : SessionEffect;

    /// <summary>Hang up a leg (or a callback's call) that answered (the agent's Leave, or a withdrawn leg that answered anyway).</summary>
    public sealed record CompleteLeg(string LegId, string CallSid) : SessionEffect;

    /// <summary>Hold music for the customer.</summary>
    public sealed record HoldCustomer : SessionEffect;

    public sealed record ResumeCustomer : SessionEffect;

    /// <summary>End the conference for everyone: only ever because an agent with the customer pressed End call.</summary>
    public sealed record EndConference : SessionEffect;

    /// <summary>The customer goes back to the line, at the front, and is offered to the next available agent.</summary>
    public sealed record OfferToNextAgent : SessionEffect;

    /// <summary>The session needs no agent from the lines any more (the customer is gone, or a waiting transfer was cancelled).</summary>
    public sealed record LeaveLine : SessionEffect;

    /// <summary>The agent is on this leg of the call (in call), if routing still has them on it.</summary>
    public sealed record AgentInCall(string AgentId, string LegId) : SessionEffect;

    /// <summary>
    /// The agent's leg is over: they are free, if routing still has them on this leg (a late event for an old leg frees nobody).
    /// <paramref name="Away"/> when they missed an offer: no caller is offered to them until they come back. An agent who was
    /// in the call goes to wrap-up first.
    /// </summary>
    public sealed record FreeAgent(string AgentId, string LegId, bool Away) : SessionEffect;

    /// <summary>The owner's transfer needs the next free colleague: the longest-idle one now, or the first freed (before any waiting caller).</summary>
    public sealed record FindColleague : SessionEffect;

    /// <summary>These agents' pages show something new.</summary>
    public sealed record NotifyAgents(IReadOnlyList<string> AgentIds) : SessionEffect;
}

public enum RefusalKind
{
    /// <summary>The agent is not in this call (403).</summary>
    NotInCall,

    /// <summary>The call is not in a state that allows it (409).</summary>
    Conflict,
}

/// <summary>Why an agent's action was not taken, in words for the agent.</summary>
public sealed record Refusal(RefusalKind Kind, string Message);

/// <summary>The outcome of one event: the session after it, what to do, or why an agent's action was refused.</summary>
/// <param name="Changed">False when the event was old news: nothing is stored, and the effects (if any) only repair the world.</param>
/// <param name="Happened">What the transition records (stored with the session, only when it changed).</param>
public sealed record Decision(CallSession Session, IReadOnlyList<SessionEffect> Effects, bool Changed, Refusal? Refusal = null)
{
    public IReadOnlyList<ContactEvent> Happened { get; init; } = [];
}
