namespace WarmTransfer.CallCenter.Domain;

/// <summary>What happened in the contact center, as a queue log records it: the figures supervisors live by come from these.</summary>
public enum ContactEventKind
{
    /// <summary>A caller entered the line (their call arrived).</summary>
    Entered,

    /// <summary>The caller was offered to an agent (the agent is rung).</summary>
    Offered,

    /// <summary>The caller was answered by their first agent; the duration is their wait.</summary>
    Answered,

    /// <summary>The caller hung up before any agent answered; the duration is their wait, the detail where (line or ringing).</summary>
    Abandoned,

    TransferAsked,

    /// <summary>A colleague is rung for the transfer.</summary>
    TransferStarted,

    /// <summary>The colleague took the customer; the duration is the time since the transfer was asked.</summary>
    TransferCompleted,

    /// <summary>The detail is why: declined, no-answer, failed, left, dropped or offline.</summary>
    TransferFailed,

    TransferCancelled,
    CallbackRequested,

    /// <summary>The customer answered their callback.</summary>
    CallbackCompleted,

    CallbackFailed,

    /// <summary>A call that was answered ended; the duration is its talk time and <see cref="ContactEvent.Hold"/> its hold time.</summary>
    CallEnded,

    /// <summary>An agent's activity changed; the detail is the new one (offline, available, ringing, in-call, wrap-up, or away with its reason).</summary>
    ActivityChanged,

    WrapUpStarted,

    /// <summary>The duration is the wrap-up's.</summary>
    WrapUpEnded,

    /// <summary>An agent's part in a call is over for good; the duration is their handle time (from answering to the end of their wrap-up).</summary>
    Handled,
}

/// <summary>
/// One thing that happened, recorded with the transition that made it happen (so a transition retried, or an event delivered
/// twice, records nothing twice).
/// </summary>
/// <param name="AgentId">The agent it is about, when one is.</param>
/// <param name="Duration">The wait, talk time or time to transfer the kind says.</param>
/// <param name="Detail">Where a caller abandoned, or why a transfer failed.</param>
/// <param name="Hold">A call's time on hold (<see cref="ContactEventKind.CallEnded"/>).</param>
public sealed record ContactEvent(
    ContactEventKind Kind,
    string SessionId,
    string? AgentId,
    DateTimeOffset At,
    TimeSpan? Duration = null,
    string? Detail = null,
    TimeSpan? Hold = null);
