using StackExchange.Redis;
using Xunit.Abstractions;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>Which Redis failures pass once a failover is done, and which say the request itself is wrong.</summary>
public sealed class RedisFailoverTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Every_failure_of_the_commands_on_a_connection_the_client_finds_dead_passes()
    {
        await using var impatient = await ConnectionMultiplexer.ConnectAsync($"{redis.Connection.Configuration},asyncTimeout=250,syncTimeout=250");
        var db = impatient.GetDatabase();
        await db.PingAsync();
        // The client takes a socket for dead when a command times out on it and nothing was read from it for four timeouts:
        // a connection left idle that long, then stalled, is one.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await redis.Connection.GetServers()[0].ExecuteAsync("CLIENT", "PAUSE", "2000", "ALL");

        var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var dropped = false;
        var commands = new List<Task>();
        for (var stalled = System.Diagnostics.Stopwatch.StartNew(); stalled.Elapsed < TimeSpan.FromSeconds(3);)
        {
            commands.AddRange(Enumerable.Range(0, 20).Select(async i =>
            {
                try
                {
                    await db.ScriptEvaluateAsync("return redis.call('INCR', KEYS[1])", [$"stall:{i}"]);
                }
                catch (Exception exception)
                {
                    failures.Add(exception);
                }
            }));
            dropped |= !impatient.IsConnected;
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }

        await Task.WhenAll(commands);
        output.WriteLine(string.Join(Environment.NewLine, failures.GroupBy(f => f.GetType().Name).Select(g => $"{g.Count()} × {g.Key}")));
        Assert.True(dropped, "the client never dropped the stalled connection");
        Assert.NotEmpty(failures);
        Assert.All(failures, failure => Assert.True(RedisFailover.IsPassing(failure), $"{failure.GetType().Name} does not pass: {failure}"));
    }

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
    public async Task Any_other_failure_does_not_pass_even_thrown_right_after_a_redis_command()
    {
        var bug = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await redis.Connection.GetDatabase().PingAsync();
            throw new InvalidOperationException("a bug");
        });
        Assert.False(RedisFailover.IsPassing(bug));
    }
}
