using WarmTransfer.CallCenter.Domain;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>
/// Ring <paramref name="AgentId"/>'s softphone for the session's leg <paramref name="LegId"/>: once they accept, the leg joins the
/// customer's conference. With <paramref name="CustomerNumber"/>, call the customer back instead, for the callback attempt
/// <paramref name="LegId"/> that <paramref name="AgentId"/> took: once they answer, they join the agent's conference.
/// </summary>
/// <param name="RequestId">Unique per leg; a redelivered request with the same id rings no one twice.</param>
public sealed record DialRequest(string RequestId, string SessionId, string LegId, string AgentId, AgentRole Role, DateTimeOffset RequestedAt,
    string? CustomerNumber = null);
