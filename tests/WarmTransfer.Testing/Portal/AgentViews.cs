namespace WarmTransfer.Testing;

// What the portal pushes to an agent's page (AgentPortal/Live/AgentViews.cs), as its clients read it.

/// <summary>Everything one agent's page shows of themselves and their call, as the server knows it (free colleagues come apart).</summary>
public sealed record AgentView(AgentSummary Agent, CallView? Call);

/// <param name="Status">What routing sees: away, available, ringing or in-call.</param>
/// <param name="Presence">What the agent chose: available or away.</param>
public sealed record AgentSummary(string Id, string? DisplayName, string Status, string? Presence, string? Reason = null, DateTimeOffset? Since = null,
    DateTimeOffset? WrapUpEndsAt = null, bool CanTakeMoreTime = false, string? Softphone = null);

/// <summary>The customer's call as this agent sees it; <see cref="Conference"/> is the customer's call SID.</summary>
/// <param name="Role"><c>owner</c> for the agent who has the customer, <c>consultant</c> for a colleague being brought in.</param>
/// <param name="MyStatus">This agent's leg: ringing or in-call.</param>
/// <param name="TransferredBy">For the colleague a transfer is for: who asked for it.</param>
/// <param name="TransferNote">For the colleague a transfer is for: the note written for them.</param>
/// <param name="Callback">The customer asked to be called back.</param>
public sealed record CallView(
    string Conference,
    string? CustomerNumber,
    string Role,
    string MyStatus,
    bool CustomerOnHold,
    DateTimeOffset? ConnectedAt,
    IReadOnlyList<CallAgent>? Agents,
    TransferView? Transfer,
    string? Problem = null,
    string? TransferredBy = null,
    string? TransferNote = null,
    CallbackView? Callback = null);

/// <param name="Status">waiting (the agent is rung), calling (the customer's phone rings) or answered.</param>
public sealed record CallbackView(string Status, DateTimeOffset WaitingSince, int Attempt, int MaxAttempts);

public sealed record CallAgent(string Id, string? DisplayName, string Status);

/// <param name="State">ringing, consulting, completed, cancelled or failed.</param>
/// <param name="Failure">declined, no-answer, failed, left (handed back) or dropped.</param>
public sealed record TransferView(string? AgentId, string? DisplayName, string State, string? Failure, DateTimeOffset? AskedAt = null);

/// <summary>A colleague available for a transfer.</summary>
public sealed record Colleague(string Id, string? DisplayName = null);

/// <summary>The agent statuses routing uses (<see cref="AgentSummary.Status"/>).</summary>
public static class AgentStatuses
{
    public const string Away = "away";
    public const string Available = "available";
    public const string Ringing = "ringing";
    public const string InCall = "in-call";
}

/// <summary>A softphone token from <c>/api/token</c>.</summary>
public sealed record SoftphoneToken(string Token, string Identity, DateTimeOffset ExpiresAt);

/// <summary>The page's softphone settings from <c>/api/softphone</c>.</summary>
public sealed record SoftphoneSettings(string Mode, string SdkUrl, long TokenRefreshMs, string? EmulatorUrl);
