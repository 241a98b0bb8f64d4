using RabbitMQ.Client;

namespace WarmTransfer.Benchmarks.Scenarios;

/// <param name="DialsPerSecond">
/// Call creations the emulator received per second while the queue drained: the first half is the warm-up (the workers' processes
/// start with the drain, and the runtime compiles their hot path to optimised code only once it has run a while), the last tenth
/// the stragglers; the rate is that of the creations between.
/// </param>
/// <param name="Services">Each service's processor time from starting the workers until the last creation arrived.</param>
/// <param name="QueuedMessages">Messages in the queue when the workers started: more than the requests when publishes were repeated.</param>
public sealed record WorkerRun(int Workers, int DialRequests, long QueuedMessages, int Dialed, double DialsPerSecond, double DrainSeconds, double Seconds, IReadOnlyList<ServiceUsage> Services);

/// <param name="Ratio">Two workers' rate over one worker's; 0 when the size does not run both (the smoke runs two workers only).</param>
public sealed record WorkerThroughputResult(IReadOnlyList<WorkerRun> Runs, double Ratio);

/// <summary>
/// Dial requests queued with the workers stopped (each caller with an agent available), then one DialerWorker — and, in a
/// second system, two — started to drain the queue, with the dialing budget too high to limit and each call creation taking
/// <see cref="CreationLatency"/> to answer, as Twilio's API does (the emulator's acted-then-slow fault on every creation):
/// dial requests per second.
/// </summary>
public sealed class WorkerThroughputScenario(BenchSize size, BenchSystems systems)
{
    public const string Name = "workers";

    /// <summary>What a call creation takes at Twilio: the worker waits for it with the dial request in hand.</summary>
    public static readonly TimeSpan CreationLatency = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Dial requests each worker handles at once. At the default (16) one worker already dials about 65 a second here, and two
    /// would need more of the two cores than the rest of the system leaves them: the machine, not the workers, would set the
    /// ratio. At 8 one worker is bound by Twilio's latency alone, and two by theirs, with the cores to spare.
    /// </summary>
    public const int DialsAtOnce = 8;

    /// <summary>Callers per second while the queue fills: the ring scenario's rate.</summary>
    private const double CallRate = 50;

    private static readonly string[] Creations = ["POST Calls.json", "POST Participants.json"];

    public async Task<WorkerThroughputResult> RunAsync(CancellationToken cancellationToken)
    {
        var runs = new List<WorkerRun>();
        foreach (var workers in size.WorkerCounts)
        {
            runs.Add(await RunAsync(workers, cancellationToken));
        }

        var one = runs.Find(run => run.Workers == 1);
        var two = runs.Find(run => run.Workers == 2);
        return new WorkerThroughputResult(runs, one is { DialsPerSecond: > 0 } && two is not null ? Math.Round(two.DialsPerSecond / one.DialsPerSecond, 2) : 0);
    }

    private async Task<WorkerRun> RunAsync(int workers, CancellationToken cancellationToken)
    {
        var requests = size.WorkerDialRequests;
        Progress.Report(Name, $"starting the system with {workers} worker(s) and {requests} agents");
        await using var lease = await systems.StartAsync(new SystemSettings(BenchSystem.HighestBudget, Agents: requests, WorkerReplicas: workers, DialsAtOnce: DialsAtOnce), cancellationToken);
        var system = lease.System;
        await system.StopWorkersAsync(cancellationToken);
        foreach (var endpoint in Creations)
        {
            if (!await system.Emulator.SetFaultAsync(
                new FaultRule(endpoint, ActedThenSlowRate: 1, SlowMilliseconds: (int)CreationLatency.TotalMilliseconds), cancellationToken))
            {
                throw new InvalidOperationException($"the emulator did not take the creation latency for {endpoint}");
            }
        }

        // Rung, never answered: after the creation nothing more happens within the measurement.
        var agents = await AgentPool.SignInAvailableAsync(system, requests, "never", 0, listen: false, cancellationToken);
        var customers = new string[requests];
        try
        {
            // Callers arrive at a steady rate the webhook answers comfortably: a burst of them all at once would make the broker's
            // confirms outlast their timeout, and the copies the outbox then publishes too would be part of what is drained.
            await OpenLoop.RunAsync(CallRate, TimeSpan.FromSeconds(requests / CallRate), async (i, ct) =>
            {
                customers[i] = await system.Emulator.CallSupportLineAsync(IncomingCallWebhook.Number(i), ct);
                return true;
            }, cancellationToken);
            var queued = await WaitForQueuedAsync(system, requests, cancellationToken);
            Progress.Report(Name, $"{requests} dial requests queued ({queued} messages); starting {workers} worker(s)");

            var feed = new EventFeed(system.Emulator);
            await feed.SkipPastAsync(cancellationToken);
            var before = system.Usage();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await system.StartWorkersAsync(cancellationToken);
            var wanted = customers.ToHashSet(StringComparer.Ordinal);
            await feed.ReadUntilAsync(events => CreationTimes(events, wanted).Count >= requests, TimeSpan.FromSeconds(120), cancellationToken);
            var usage = ServiceUsage.Between(before, system.Usage());
            var seconds = Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, 1);

            var creations = CreationTimes(feed.Events, wanted);
            var run = new WorkerRun(workers, requests, queued, creations.Count, SteadyRate(creations),
                creations.Count > 1 ? Math.Round((creations[^1] - creations[0]).TotalSeconds, 3) : 0, seconds, usage);
            Progress.Report(Name, $"{workers} worker(s): {run.Dialed} of {requests} dialed in {run.DrainSeconds} s, {run.DialsPerSecond} dials/s");
            return run;
        }
        finally
        {
            // The system as it was found: no fault, no caller, no agent.
            await system.Emulator.ClearFaultsAsync(cancellationToken);
            // Not waiting for the agents to be free again: one whose ring timed out before the hang-up went away, as a missed
            // call sends an agent, and they are all signed out now.
            await CallWave.HangUpAsync(system, customers.OfType<string>(), agents: 0, cancellationToken);
            await AgentPool.DisposeAllAsync(agents);
        }
    }

    /// <summary>Arrival times of the successful creations for the wanted callers, earliest first.</summary>
    private static List<DateTimeOffset> CreationTimes(IEnumerable<EmulatorEvent> events, HashSet<string> customers) =>
        [.. events.Where(e => e.AgentCallConference is { } conference && customers.Contains(conference)).Select(e => e.Timestamp).Order()];

    /// <summary>The rate after the warm-up (the first half of the creations) and before the last tenth's stragglers.</summary>
    private static double SteadyRate(List<DateTimeOffset> creations)
    {
        if (creations.Count < 10)
        {
            return creations.Count > 1 ? Math.Round((creations.Count - 1) / (creations[^1] - creations[0]).TotalSeconds, 1) : 0;
        }

        var first = creations.Count / 2;
        var last = creations.Count - 1 - creations.Count / 10;
        var seconds = (creations[last] - creations[first]).TotalSeconds;
        return seconds > 0 ? Math.Round((last - first) / seconds, 1) : 0;
    }

    /// <summary>Waits until the queue holds every request, and returns how many messages it holds then.</summary>
    private static async Task<long> WaitForQueuedAsync(BenchSystem system, int requests, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = new Uri((await system.App.GetConnectionStringAsync("rabbitmq", cancellationToken))!) };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        long queued;
        while ((queued = (await channel.QueueDeclarePassiveAsync("dial-requests", cancellationToken)).MessageCount) < requests)
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"fewer than {requests} dial requests were queued within 60 s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }

        return queued;
    }
}
