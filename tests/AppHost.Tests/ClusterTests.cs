using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// The whole app on a local Redis Cluster (<c>Infrastructure:Redis=cluster</c>: six <c>redis-server</c> processes joined into
/// three primaries with a replica each) and a local three-node RabbitMQ cluster (<c>Infrastructure:RabbitMQ=cluster</c>: every
/// queue a quorum queue on each node), which the services reach through the same client integrations as one server.
/// Run by <c>./test.sh --cluster</c>: a system of its own would lengthen the default run by minutes.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dataDirectory = TestRun.NewDataDirectory();
    private readonly RunMarker _marker = RunMarker.New(TestRun.MarkerVariable);
    private DistributedApplication _app = null!;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(AppHostLauncher.StartTimeout);
        var builder = await AppHostLauncher.CreateBuilderAsync(_dataDirectory, _marker, timeout.Token,
            "--Infrastructure:Redis=cluster", "--Infrastructure:RabbitMQ=cluster");
        AppHostLauncher.SetDevelopmentAgentsWrapUp(builder, 0);
        AppHostLauncher.AddPortalAgents(builder, WarmTransferAppFixture.LoadAgents, i => $"Load agent {i + 1}",
            WarmTransferAppFixture.LoadAgentPasswordHash, _ => 0);
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
    public async Task On_the_clusters_a_caller_reaches_an_agent_the_call_is_in_the_queue_log_and_every_queue_is_on_three_nodes()
    {
        var queues = await QueuesAsync("warmtransfer-1@localhost");
        Assert.Equal(["agent-updates", "call-commands", "dial-requests", "dial-requests.dead-letter"], queues.Select(q => q.Name).Order());
        Assert.All(queues, queue => Assert.Equal((QuorumQueue, 3), (queue.Type, queue.Members.Length)));

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
    public async Task A_redis_primary_killed_while_calls_flow_hands_its_slots_to_its_replica_and_loses_no_caller_nor_rings_an_agent_twice()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await _app.GetConnectionStringAsync("redis"))!);
        var slot = redis.HashSlot("wt:{line}:agents");
        var primary = redis.GetServers().Single(server => !server.IsReplica && server.ClusterConfiguration!.GetBySlot(slot)!.EndPoint!.Equals(server.EndPoint));
        var port = ((System.Net.IPEndPoint)primary.EndPoint).Port;
        using var emulator = EmulatorAdmin.For(_app);
        await using var agents = await AvailableLoadAgentsAsync(emulator);
        var since = DateTimeOffset.UtcNow;

        // Callers arrive four a second; the primary of the line's slot (the waiting line, the agents' presence, the queue log)
        // is killed after the tenth.
        var customers = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var arriving = Task.Run(async () =>
        {
            using var arrivals = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            for (var i = 0; i < 40 && await arrivals.WaitForNextTickAsync(); i++)
            {
                customers.Enqueue(await emulator.CallSupportLineAsync(SystemState.NewNumber()));
            }
        });
        await Eventually.HoldsAsync(() => customers.Count >= 10 ? null : $"{customers.Count} callers so far", TimeSpan.FromSeconds(30));

        // redis-server writes its address over its command line (and the environment that would carry the run's marker).
        var node = Assert.Single(Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(pid => pid!.All(char.IsAsciiDigit)),
            pid => ReadOrEmpty($"/proc/{pid}/cmdline").Contains($"redis-server 127.0.0.1:{port} ", StringComparison.Ordinal));
        System.Diagnostics.Process.GetProcessById(int.Parse(node!, System.Globalization.CultureInfo.InvariantCulture)).Kill();
        var killed = System.Diagnostics.Stopwatch.StartNew();
        output.WriteLine($"Killed the primary of the line's slot (port {port}) after {customers.Count} callers.");
        await Eventually.HoldsAsync(async () =>
        {
            await redis.ConfigureAsync();
            return redis.GetServers().Any(server => server.IsConnected && !server.IsReplica && server.ClusterConfiguration!.GetBySlot(slot)!.EndPoint!.Equals(server.EndPoint))
                ? null : "no primary serves the line's slot";
        }, TimeSpan.FromSeconds(30));
        output.WriteLine($"A replica served the line's slot {killed.Elapsed.TotalSeconds:F1} s after its primary was killed.");

        await arriving;
        var figures = await CallerFigures.ConnectEveryCallerAsync(emulator, [.. customers], since, TimeSpan.FromMinutes(3), output);
        output.WriteLine($"Every caller connected {killed.Elapsed.TotalSeconds:F1} s after the kill.");
        Assert.Equal((40, 0, 0), (figures.Connected, figures.Lost, figures.DuplicateRings));
    }

    [Fact]
    public async Task A_rabbitmq_node_stopped_with_50_dial_requests_queued_loses_no_caller_rings_no_agent_twice_and_rejoins()
    {
        using var emulator = EmulatorAdmin.For(_app);
        await using var agents = await AvailableLoadAgentsAsync(emulator);
        var since = DateTimeOffset.UtcNow;

        // With the workers dead, every caller's dial request waits in the queue.
        await ServiceProcesses.KillAsync(_marker, "DialerWorker");
        var customers = (await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => emulator.CallSupportLineAsync(SystemState.NewNumber())))).ToList();
        await using (var redis = await ConnectionMultiplexer.ConnectAsync((await _app.GetConnectionStringAsync("redis"))!))
        {
            await Eventually.HoldsAsync(async () =>
            {
                var queued = (await QueuesAsync("warmtransfer-1@localhost")).Single(q => q.Name == "dial-requests").Messages;
                if (queued >= 50)
                {
                    return null;
                }

                // Where the others are: in line, ringing an agent (a worker still alive), or not yet answered by WebhookApi.
                var inLine = await redis.GetDatabase().ListLengthAsync(SystemState.WaitingLine);
                var rung = (await emulator.AgentCallsAsync()).Count(call => customers.Contains(call.Conference));
                var workers = AppHostLauncher.ProcessesOf(_marker).Count(p => p.CommandLine.Contains("DialerWorker", StringComparison.Ordinal));
                return $"{queued} dial requests queued, {inLine} callers in line, {rung} agents rung, {workers} worker processes";
            }, TimeSpan.FromSeconds(60));
        }

        // The node that leads the dial queue stops; the queue elects a leader among the other two.
        var leader = (await QueuesAsync("warmtransfer-1@localhost")).Single(q => q.Name == "dial-requests").Leader;
        var node = $"rabbitmq-{leader["warmtransfer-".Length..leader.IndexOf('@')]}";
        var commands = _app.Services.GetRequiredService<ResourceCommandService>();
        Assert.True((await commands.ExecuteCommandAsync(node, KnownResourceCommands.StopCommand)).Success);
        var stopped = System.Diagnostics.Stopwatch.StartNew();
        output.WriteLine($"Stopped {node} ({leader}), the dial queue's leader, with 50 dial requests queued.");

        await ServiceProcesses.StartAsync(_app, "dialerworker");
        var figures = await CallerFigures.ConnectEveryCallerAsync(emulator, customers, since, TimeSpan.FromMinutes(3), output);
        output.WriteLine($"Every caller connected {stopped.Elapsed.TotalSeconds:F1} s after the node stopped.");
        Assert.Equal((50, 0, 0), (figures.Connected, figures.Lost, figures.DuplicateRings));

        // Started again, the node rejoins the cluster and the dial queue's replicas.
        Assert.True((await commands.ExecuteCommandAsync(node, KnownResourceCommands.StartCommand)).Success);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
        {
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(node, timeout.Token);
        }

        var survivor = leader == "warmtransfer-1@localhost" ? "warmtransfer-2@localhost" : "warmtransfer-1@localhost";
        await Eventually.HoldsAsync(async () => (await QueuesAsync(survivor)).Single(q => q.Name == "dial-requests") is var queue
            && queue.Members.Contains(leader) && queue.Online.Contains(leader) ? null : $"{leader} is not back among the dial queue's replicas",
            TimeSpan.FromMinutes(1));
    }

    private const string QuorumQueue = "quorum";

    private sealed record Queue(string Name, string Type, string Leader, string[] Members, string[] Online, long Messages);

    /// <summary>The queues as <paramref name="node"/> reports them.</summary>
    private async Task<List<Queue>> QueuesAsync(string node)
    {
        var json = await RabbitMQCtlAsync("-q", "-n", node, "list_queues", "name", "type", "leader", "members", "online", "messages", "--formatter", "json");
        return [.. System.Text.Json.JsonDocument.Parse(json).RootElement.EnumerateArray().Select(queue => new Queue(
            queue.GetProperty("name").GetString()!, queue.GetProperty("type").GetString()!, queue.GetProperty("leader").GetString()!,
            [.. queue.GetProperty("members").EnumerateArray().Select(member => member.GetString()!)],
            [.. queue.GetProperty("online").EnumerateArray().Select(member => member.GetString()!)],
            queue.GetProperty("messages").GetInt64()))];
    }

    /// <summary>rabbitmqctl, as the cluster's own tools run it: its cookie and its epmd.</summary>
    private async Task<string> RabbitMQCtlAsync(params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("/usr/lib/rabbitmq/bin/rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        arguments.ToList().ForEach(start.ArgumentList.Add);
        var cluster = Path.Combine(_dataDirectory, "rabbitmq-cluster");
        start.Environment["HOME"] = Path.Combine(cluster, "home");
        start.Environment["ERL_EPMD_PORT"] = _app.GetEndpoint("rabbitmq-epmd", "tcp").Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["ERL_ZFLAGS"] = "-start_epmd false";
        start.Environment["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(cluster, "rabbitmq-env.conf");
        using var process = System.Diagnostics.Process.Start(start)!;
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var standardError = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? await standardOutput
            : throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} failed ({process.ExitCode}): {await standardError}");
    }

    /// <summary>The 50 load agents signed in and available, each answered by a headless browser.</summary>
    private Task<SignedInAgents> AvailableLoadAgentsAsync(EmulatorAdmin emulator) =>
        SignedInAgents.AvailableAsync(WarmTransferAppFixture.LoadAgents, agent => emulator.AnswerAsAsync(agent),
            agent => PortalClient.SignInAsync(_app, agent, WarmTransferAppFixture.LoadAgentPassword));

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
