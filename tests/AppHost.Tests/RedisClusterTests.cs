using StackExchange.Redis;
using Xunit.Abstractions;

namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// The whole app on a local Redis Cluster (<c>Infrastructure:Redis=cluster</c>): six <c>redis-server</c> processes joined into
/// three primaries with a replica each, which every service reaches through the same client integration as one server.
/// Run by <c>./test.sh --cluster</c>: a system of its own would lengthen the default run by a minute.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class RedisClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dataDirectory = TestRun.NewDataDirectory();
    private DistributedApplication _app = null!;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(AppHostLauncher.StartTimeout);
        var builder = await AppHostLauncher.CreateBuilderAsync(_dataDirectory, RunMarker.New(TestRun.MarkerVariable), timeout.Token,
            "--Infrastructure:Redis=cluster");
        AppHostLauncher.SetDevelopmentAgentsWrapUp(builder, 0);
        var started = System.Diagnostics.Stopwatch.StartNew();
        _app = await AppHostLauncher.StartHealthyAsync(builder, timeout.Token);
        output.WriteLine($"Every resource healthy {started.Elapsed.TotalSeconds:F1} s after the start.");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        AppHostLauncher.DeleteDataDirectory(_dataDirectory);
    }

    [Fact]
    public async Task On_a_redis_cluster_of_three_primaries_and_three_replicas_a_caller_reaches_an_agent_and_the_call_is_in_the_queue_log()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await _app.GetConnectionStringAsync("redis"))!);
        var roles = redis.GetServers().Select(server => server.IsReplica).ToList();
        Assert.Equal((3, 3), (roles.Count(replica => !replica), roles.Count(replica => replica)));
        var customerNumber = SystemState.NewNumber();

        using var emulator = EmulatorAdmin.For(_app);
        await emulator.AnswerAsAsync("agent1");
        using var agent = await PortalClient.SignInAsync(_app, "agent1", "agent1-dev-password");
        await agent.GoAvailableAsync();
        var customer = await emulator.CallSupportLineAsync(customerNumber);
        await Eventually.HoldsAsync(async () => (await emulator.ParticipantsAsync(customer)).Length == 2 ? null : "agent1 has not joined the caller",
            SystemState.StepTimeout);
        await emulator.HangUpAsync(customer);
        await SystemState.StatusIsAsync(agent, "available");

        // The session's keys and the queue log are in different slots: each transition is written in one, its events copied to the other.
        await Eventually.HoldsAsync(async () =>
        {
            var kinds = (await redis.GetDatabase().StreamRangeAsync("wt:{line}:events"))
                .Where(entry => entry["session"] == customer).Select(entry => (string)entry["kind"]!).ToList();
            return kinds is ["Entered", "Offered", "Answered", "CallEnded"] ? null : $"the queue log has [{string.Join(", ", kinds)}] for the call";
        }, SystemState.StepTimeout);
    }

    [Fact]
    public async Task When_the_primary_of_the_line_is_killed_its_replica_takes_over_and_callers_reach_agents_again()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await _app.GetConnectionStringAsync("redis"))!);
        var slot = redis.HashSlot("wt:{line}:agents");
        var primary = redis.GetServers().Single(server => !server.IsReplica && server.ClusterConfiguration!.GetBySlot(slot)!.EndPoint!.Equals(server.EndPoint));
        var port = ((System.Net.IPEndPoint)primary.EndPoint).Port;
        using var emulator = EmulatorAdmin.For(_app);
        await emulator.AnswerAsAsync("agent1");
        using var agent = await PortalClient.SignInAsync(_app, "agent1", "agent1-dev-password");
        await agent.GoAvailableAsync();

        // redis-server writes its address over its command line (and the environment that would carry the run's marker).
        var node = Assert.Single(Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(pid => pid!.All(char.IsAsciiDigit)),
            pid => ReadOrEmpty($"/proc/{pid}/cmdline").Contains($"redis-server 127.0.0.1:{port} ", StringComparison.Ordinal));
        System.Diagnostics.Process.GetProcessById(int.Parse(node!, System.Globalization.CultureInfo.InvariantCulture)).Kill();
        var killed = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.HoldsAsync(async () =>
        {
            await redis.ConfigureAsync();
            return redis.GetServers().Any(server => server.IsConnected && !server.IsReplica && server.ClusterConfiguration!.GetBySlot(slot)!.EndPoint!.Equals(server.EndPoint))
                ? null : "no primary serves the line's slot";
        }, TimeSpan.FromSeconds(30));
        output.WriteLine($"A replica served the line's slot {killed.Elapsed.TotalSeconds:F1} s after its primary was killed.");

        // Callers one after another: each reaches agent1, who is free again once they hang up.
        for (var i = 0; i < 3; i++)
        {
            var customer = await emulator.CallSupportLineAsync(SystemState.NewNumber());
            await Eventually.HoldsAsync(async () => (await emulator.ParticipantsAsync(customer)).Length == 2 ? null : $"caller {i + 1} has no agent",
                SystemState.StepTimeout);
            await emulator.HangUpAsync(customer);
            await SystemState.StatusIsAsync(agent, "available");
        }

        output.WriteLine($"Three callers served {killed.Elapsed.TotalSeconds:F1} s after the kill.");
        // Rung once for each caller, none twice.
        Assert.Equal(3, (await emulator.AgentCallsAsync()).Count(call => call.AgentId == "agent1"));
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            // The process ended while we looked.
            return string.Empty;
        }
    }
}
