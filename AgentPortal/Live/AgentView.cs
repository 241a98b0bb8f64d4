namespace WarmTransfer.AgentPortal.Live;

/// <summary>Everything one agent's page shows, as the server knows it. The page renders it and guesses nothing.</summary>
public sealed record AgentView(AgentSummary Agent, CallView? Call, IReadOnlyList<Colleague> Colleagues);

/// <param name="Status">What routing sees: away, available, ringing or in-call.</param>
/// <param name="Presence">What the agent chose: available or away (on a call it takes effect when the call ends).</param>
public sealed record AgentSummary(string Id, string DisplayName, string Status, string Presence);

/// <summary>The customer's call as this agent sees it.</summary>
/// <param name="Role"><c>owner</c> for the agent who has the customer, <c>consultant</c> for a colleague being brought in.</param>
/// <param name="MyStatus">This agent's leg: ringing or in-call.</param>
/// <param name="Agents">The agents connected to the customer or ringing for them.</param>
/// <param name="Problem">What last went wrong that the agent should know, in plain words (a command Twilio refused).</param>
/// <param name="TransferredBy">For the colleague a transfer is for: who asked for it.</param>
/// <param name="TransferNote">For the colleague a transfer is for: what the one who asked wrote for them.</param>
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
    string? TransferNote = null);

public sealed record CallAgent(string Id, string DisplayName, string Status);

/// <param name="State">ringing, consulting, completed (the colleague has the customer), cancelled or failed.</param>
/// <param name="Failure">Why a transfer failed: declined, no-answer, failed, left (the colleague handed the customer back) or dropped.</param>
public sealed record TransferView(string AgentId, string DisplayName, string State, string? Failure);

/// <summary>A colleague available for a transfer right now.</summary>
public sealed record Colleague(string Id, string DisplayName);
