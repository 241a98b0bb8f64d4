using StackExchange.Redis;

namespace WarmTransfer.AppHost.Tests;

/// <summary>What the end-to-end tests read and wait for in the running system, written once.</summary>
public static class SystemState
{
    /// <summary>How long one step of a call may take to show.</summary>
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A caller's number no other test uses.</summary>
    public static string NewNumber() => $"+1555{Random.Shared.Next(1_000_000, 9_999_999)}";

    /// <summary>Routing sees the agent as <paramref name="status"/> (<c>/api/me</c>).</summary>
    public static Task StatusIsAsync(PortalClient agent, string status, TimeSpan? timeout = null) =>
        Eventually.HoldsAsync(async () => (await agent.MeAsync()).Status is var actual && actual == status
            ? null : $"{agent.AgentId} is {actual}, not {status}", timeout ?? StepTimeout);

    /// <summary>The owner's page shows their transfer in this state (with this failure, or none).</summary>
    public static Task TransferIsAsync(PortalClient owner, string state, string? failure = null) =>
        Eventually.HoldsAsync(async () => (await owner.CallAsync())?.Transfer is { } transfer && transfer.State == state && transfer.Failure == failure
            ? null : $"{owner.AgentId}'s transfer is not {state} {failure}", StepTimeout);

    /// <summary>Whether the caller waits in the callers' line.</summary>
    public static async Task<bool> InLineAsync(IConnectionMultiplexer redis, string customer) =>
        (await redis.GetDatabase().ListRangeAsync("wt:{line}:callers:waiting")).Any(v => v == customer);
}
