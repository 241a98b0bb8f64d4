namespace WarmTransfer.CallCenter.Messaging;

/// <summary>Which leg an agent is dialed for: the first agent, or the colleague a transfer brings in.</summary>
public enum DialRole
{
    FirstAgent,
    TransferAgent,
}

/// <summary>Ring <paramref name="AgentId"/>'s browser and put them into the customer's conference.</summary>
/// <param name="RequestId">Unique per request; a redelivered request with the same id rings no one twice.</param>
public sealed record DialRequest(string RequestId, string ConferenceName, string AgentId, DialRole Role, DateTimeOffset RequestedAt);
