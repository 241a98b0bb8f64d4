using StackExchange.Redis;

namespace WarmTransfer.CallCenter.State;

/// <summary>What Redis answers while it cannot serve for a moment: a node lost until its replica is promoted, a node loading.</summary>
public static class RedisFailover
{
    // The errors a Redis Cluster (or a server) gives while it fails over or starts: the same request succeeds once it is done.
    private static readonly string[] PassingErrors = ["CLUSTERDOWN", "TRYAGAIN", "LOADING", "READONLY", "MASTERDOWN"];

    /// <summary>True when <paramref name="exception"/> says Redis cannot serve for now, not that the request is wrong.</summary>
    public static bool IsPassing(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException server => PassingErrors.Any(error => server.Message.StartsWith(error, StringComparison.Ordinal)),
        // StackExchange.Redis cancels a command it could not write (no connection to its node, or its time ran out before
        // the write): a task canceled without any token asking for it. A caller's own cancellation carries its token.
        TaskCanceledException { CancellationToken.CanBeCanceled: false } => true,
        // A connection the client drops (a socket it finds dead) fails the commands on it with whatever ended its reading
        // or writing, such as a pipe already completed: a failure raised in the client's connection, not an answer of the server.
        _ => RaisedInConnection(exception),
    };

    private static bool RaisedInConnection(Exception exception) =>
        new System.Diagnostics.StackTrace(exception).GetFrames().Any(frame => frame.GetMethod()?.DeclaringType?.FullName is { } type
            && type.StartsWith("StackExchange.Redis.Physical", StringComparison.Ordinal));
}
