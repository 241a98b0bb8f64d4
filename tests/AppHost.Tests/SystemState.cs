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

    /// <summary>
    /// Makes the line's history one in which each caller took 40 minutes to serve: every caller in line is then expected to wait longer
    /// than the fixture's <see cref="WarmTransferAppFixture.OfferCallbackAfter"/>, and is offered a callback.
    /// </summary>
    public static async Task ExpectLongWaitsAsync(IConnectionMultiplexer redis)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // Only this history: the quick services of earlier tests would shorten the mean.
        await ForgetWaitsAsync(redis);
        await redis.GetDatabase().ListLeftPushAsync(ServiceIntervals,
            [.. Enumerable.Range(0, 3).Select(i => (RedisValue)$"{now - i * 1000}:{(long)TimeSpan.FromMinutes(40).TotalMilliseconds}")]);
    }

    /// <summary>The line forgets its history: no caller is offered a callback.</summary>
    public static Task ForgetWaitsAsync(IConnectionMultiplexer redis) => redis.GetDatabase().KeyDeleteAsync(ServiceIntervals);

    private const string ServiceIntervals = "wt:{line}:callers:intervals";

    /// <summary>The callers' line, first caller first.</summary>
    public const string WaitingLine = "wt:{line}:callers:waiting";

    /// <summary>Whether the caller waits in the callers' line.</summary>
    public static async Task<bool> InLineAsync(IConnectionMultiplexer redis, string customer) =>
        (await redis.GetDatabase().ListRangeAsync(WaitingLine)).Any(v => v == customer);
}
