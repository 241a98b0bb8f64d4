using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace WarmTransfer.AppHost.Tests;

/// <summary>Starting and stopping the whole app, the way a developer does all day.</summary>
public sealed class LifecycleTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How soon after a start the last run's calls, which Twilio no longer has, are gone from every agent and the line.</summary>
    private static readonly TimeSpan CleanAfterRestart = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Stopped_with_calls_up_and_started_again_the_app_leaves_no_process_or_port_behind_and_its_stale_calls_are_gone_within_30_seconds()
    {
        var dataDirectory = TestRun.NewDataDirectory();
        var key = $"tests:{Guid.NewGuid():N}";
        string[] lastRunsCallers = [];
        try
        {
            await RunOnceAsync(dataDirectory, async app =>
            {
                await using var redis = await ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync("redis"))!);
                await redis.GetDatabase().StringSetAsync(key, "kept across restarts");

                // Calls up when the app stops: agent1 ringing, agent2 with a customer, two callers waiting in line.
                using var emulator = EmulatorAdmin.For(app);
                await emulator.NeverAnswerAsAsync("agent1");
                await emulator.AnswerAsAsync("agent2");
                using var agent1 = await AvailableAsync(app, "agent1");
                var ringing = await emulator.CallSupportLineAsync("+15557658001");
                await SystemState.StatusIsAsync(agent1, "ringing", CleanAfterRestart);
                using var agent2 = await AvailableAsync(app, "agent2");
                var talking = await emulator.CallSupportLineAsync("+15557658002");
                await SystemState.StatusIsAsync(agent2, "in-call", CleanAfterRestart);
                var waiting = new[] { await emulator.CallSupportLineAsync("+15557658003"), await emulator.CallSupportLineAsync("+15557658004") };
                await Eventually.HoldsAsync(async () => (await LineAsync(redis)).Length == 2 ? null : "the two callers are not in line", CleanAfterRestart);
                lastRunsCallers = [ringing, talking, .. waiting];
            });

            // The emulator starts with no calls, as Twilio has none of the last run's: Redis still describes them.
            await RunOnceAsync(dataDirectory, async app =>
            {
                var started = Stopwatch.StartNew();
                await using var redis = await ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync("redis"))!);
                Assert.Equal("kept across restarts", (string?)await redis.GetDatabase().StringGetAsync(key));

                using var agent1 = await PortalClient.SignInAsync(app, "agent1", "agent1-dev-password");
                using var agent2 = await PortalClient.SignInAsync(app, "agent2", "agent2-dev-password");
                await Eventually.HoldsAsync(async () =>
                {
                    var busy = new[] { await agent1.MeAsync(), await agent2.MeAsync() }.Where(me => me.Status is "ringing" or "in-call").ToList();
                    var line = await LineAsync(redis);
                    var open = (await redis.GetDatabase().SortedSetRangeByRankAsync("wt:sessions:open")).Select(v => v.ToString()).Intersect(lastRunsCallers).ToList();
                    return busy.Count == 0 && line.Length == 0 && open.Count == 0 ? null
                        : $"still busy: [{string.Join(", ", busy.Select(me => me.Status))}]; in line: [{string.Join(", ", line)}]; open: [{string.Join(", ", open)}]";
                }, CleanAfterRestart);
                output.WriteLine($"The last run's calls were gone {started.Elapsed.TotalSeconds:F1} s after the start.");
                Assert.True(started.Elapsed < CleanAfterRestart, $"clean after {started.Elapsed.TotalSeconds:F0} s");
                // The first new caller reaches an agent.
                using var emulator = EmulatorAdmin.For(app);
                await emulator.AnswerAsAsync("agent1");
                await emulator.AnswerAsAsync("agent2");
                await agent1.GoAvailableAsync();
                await agent2.GoAvailableAsync();
                var customer = await emulator.CallSupportLineAsync("+15557658005");
                await Eventually.HoldsAsync(async () => (await emulator.ParticipantsAsync(customer)).Length == 2 ? null : "no agent joined the new caller",
                    CleanAfterRestart);
                await emulator.HangUpAsync(customer);
            });
        }
        finally
        {
            AppHostLauncher.DeleteDataDirectory(dataDirectory);
        }
    }

    private static async Task<PortalClient> AvailableAsync(DistributedApplication app, string agentId)
    {
        var agent = await PortalClient.SignInAsync(app, agentId, $"{agentId}-dev-password");
        await agent.GoAvailableAsync();
        return agent;
    }

    private static async Task<string[]> LineAsync(ConnectionMultiplexer redis) =>
        [.. (await redis.GetDatabase().ListRangeAsync(SystemState.WaitingLine)).Select(v => v.ToString())];

    private static async Task RunOnceAsync(string dataDirectory, Func<DistributedApplication, Task> whileRunning)
    {
        var runMarker = RunMarker.New(TestRun.MarkerVariable);
        using var timeout = new CancellationTokenSource(AppHostLauncher.StartTimeout);
        var builder = await AppHostLauncher.CreateBuilderAsync(dataDirectory, runMarker, timeout.Token);
        List<int> ports;
        await using (var app = await AppHostLauncher.StartHealthyAsync(builder, timeout.Token))
        {
            Assert.NotEmpty(ProcessesOf(runMarker));
            ports = AppHostLauncher.RunnableResources(app)
                .SelectMany(resource => resource.Annotations.OfType<EndpointAnnotation>())
                .Select(endpoint => endpoint.AllocatedEndpoint?.Port)
                .OfType<int>()
                .ToList();
            Assert.NotEmpty(ports);

            await whileRunning(app);
        }

        await Eventually.HoldsAsync(() => ProcessesOf(runMarker) is { Count: > 0 } left
            ? $"processes still running: {string.Join(", ", left)}"
            : null, StopTimeout);
        await Eventually.HoldsAsync(() => ports.Where(InUse).ToList() is { Count: > 0 } busy
            ? $"ports still in use: {string.Join(", ", busy)}"
            : null, StopTimeout);
    }

    private static List<string> ProcessesOf(RunMarker runMarker) =>
        [.. AppHostLauncher.ProcessesOf(runMarker).Select(process => $"{process.Pid} {process.CommandLine}")];

    private static bool InUse(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
        finally
        {
            listener.Stop();
        }
    }
}
