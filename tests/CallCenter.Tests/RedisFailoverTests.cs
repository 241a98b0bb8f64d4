using StackExchange.Redis;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>Which Redis failures pass once a failover is done, and which say the request itself is wrong.</summary>
public sealed class RedisFailoverTests
{
    [Theory]
    [InlineData("CLUSTERDOWN The cluster is down")]
    [InlineData("TRYAGAIN Multiple keys request during rehashing of slot")]
    [InlineData("LOADING Redis is loading the dataset in memory")]
    [InlineData("READONLY You can't write against a read only replica.")]
    [InlineData("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")]
    public void A_server_error_of_a_node_failing_over_or_starting_passes(string message) =>
        Assert.True(RedisFailover.IsPassing(new RedisServerException(message)));

    [Fact]
    public void A_lost_connection_or_a_timeout_passes()
    {
        Assert.True(RedisFailover.IsPassing(new RedisConnectionException(ConnectionFailureType.SocketFailure, "socket closed")));
        Assert.True(RedisFailover.IsPassing(new RedisTimeoutException("timed out", CommandStatus.WaitingToBeSent)));
    }

    [Fact]
    public void A_command_the_client_could_not_write_passes_but_a_cancellation_asked_for_does_not()
    {
        // How StackExchange.Redis ends a command it had no connection for: the command's task canceled, with no token.
        var dropped = new TaskCompletionSource<RedisResult>();
        dropped.SetCanceled();
        Assert.True(RedisFailover.IsPassing(Assert.Throws<TaskCanceledException>(() => dropped.Task.GetAwaiter().GetResult())));

        using var aborted = new CancellationTokenSource();
        aborted.Cancel();
        var asked = Task.FromCanceled<RedisResult>(aborted.Token);
        Assert.False(RedisFailover.IsPassing(Assert.Throws<TaskCanceledException>(() => asked.GetAwaiter().GetResult())));
    }

    [Theory]
    [InlineData("NOSCRIPT No matching script")]
    [InlineData("WRONGTYPE Operation against a key holding the wrong kind of value")]
    [InlineData("CROSSSLOT Keys in request don't hash to the same slot")]
    [InlineData("NOPERM this user has no permissions to access one of the keys")]
    public void An_error_of_the_request_itself_does_not_pass(string message) =>
        Assert.False(RedisFailover.IsPassing(new RedisServerException(message)));

    [Fact]
    public void Any_other_failure_does_not_pass() => Assert.False(RedisFailover.IsPassing(new InvalidOperationException("a bug")));
}
