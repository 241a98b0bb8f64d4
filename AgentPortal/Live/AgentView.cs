namespace WarmTransfer.AgentPortal.Live;

/// <summary>
/// Everything one agent's page shows of themselves and their call, as the server knows it. The page renders it and guesses
/// nothing. Who is free for a transfer comes apart, from <see cref="ColleagueBroadcaster"/>.
/// </summary>
public sealed record AgentView(AgentSummary Agent, CallView? Call);

/// <param name="Status">What routing sees: offline, away, wrap-up, available, ringing or in-call.</param>
/// <param name="Presence">What the agent chose: available or away (on a call or in wrap-up it takes effect after).</param>
/// <param name="Reason">Why they are away.</param>
/// <param name="Since">When they entered their current status: the page shows the time in it.</param>
/// <param name="WrapUpEndsAt">When their wrap-up ends by itself.</param>
/// <param name="CanTakeMoreTime">In wrap-up and not yet extended: "More time" is offered.</param>
/// <param name="Softphone">What their page last said of their softphone (registered, busy, unregistered); null with no page connected.</param>
public sealed record AgentSummary(string Id, string DisplayName, string Status, string Presence, string? Reason = null, DateTimeOffset? Since = null,
    DateTimeOffset? WrapUpEndsAt = null, bool CanTakeMoreTime = false, string? Softphone = null);

/// <summary>The customer's call as this agent sees it.</summary>
/// <param name="Role"><c>owner</c> for the agent who has the customer, <c>consultant</c> for a colleague being brought in.</param>
/// <param name="MyStatus">This agent's leg: ringing or in-call.</param>
/// <param name="Agents">The agents connected to the customer or ringing for them.</param>
/// <param name="Problem">What last went wrong that the agent should know, in plain words (a command Twilio refused).</param>
/// <param name="TransferredBy">For the colleague a transfer is for: who asked for it.</param>
/// <param name="TransferNote">For the colleague a transfer is for: what the one who asked wrote for them.</param>
/// <param name="Callback">The customer asked to be called back: the agent is rung first, and the customer called once they accept.</param>
public sealed record CallView(
    string Conference,
    string? CustomerNumber,
    string Role,
    string MyStatus,
    bool CustomerOnHold,
    DateTimeOffset? ConnectedAt,
    IReadOnlyList<CallAgent> Agents,
    TransferView? Transfer,
    string? Problem = null,
    string? TransferredBy = null,
    string? TransferNote = null,
    CallbackView? Callback = null);

/// <param name="Status">waiting (the agent is rung), calling (the customer's phone rings) or answered.</param>
/// <param name="WaitingSince">When the customer first called: the page shows how long they have waited.</param>
/// <param name="Attempt">Which call to the customer this is (from 1; 0 before the first).</param>
public sealed record CallbackView(string Status, DateTimeOffset WaitingSince, int Attempt, int MaxAttempts);

public sealed record CallAgent(string Id, string DisplayName, string Status);

/// <param name="AgentId">The colleague; null while the transfer waits for the next free one.</param>
/// <param name="State">waiting (for the next free colleague), ringing, consulting, completed (the colleague has the customer), cancelled or failed.</param>
/// <param name="Failure">Why a transfer failed: declined, no-answer, failed, left (the colleague handed the customer back), dropped or offline (their page went away).</param>
/// <param name="AskedAt">When the owner asked for it: the page shows how long it has waited.</param>
public sealed record TransferView(string? AgentId, string? DisplayName, string State, string? Failure, DateTimeOffset? AskedAt = null);

/// <summary>A colleague available for a transfer right now.</summary>
public sealed record Colleague(string Id, string DisplayName);
