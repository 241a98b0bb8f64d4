using RabbitMQ.Client;

namespace WarmTransfer.Benchmarks.Scenarios;

/// <param name="DialsPerSecond">
/// Call creations the emulator received per second while the queue drained, leaving out the first tenth (the creations the
/// workers held while the queue filled, and the drain getting under way) and the last tenth (the stragglers).
/// </param>
/// <param name="Services">Each service's processor time from letting the workers go until the last creation arrived.</param>
/// <param name="QueuedMessages">Messages queued or held by the workers when they were let go: more than the requests when publishes were repeated.</param>
public sealed record WorkerRun(int Workers, int DialRequests, long QueuedMessages, int Dialed, double DialsPerSecond, double DrainSeconds, double Seconds, IReadOnlyList<ServiceUsage> Services);

/// <param name="Ratio">Two workers' rate over one worker's; 0 when the size does not run both (the smoke runs two workers only).</param>
public sealed record WorkerThroughputResult(IReadOnlyList<WorkerRun> Runs, double Ratio);

/// <summary>
/// One DialerWorker — and, in a second system, two — with the dialing budget too high to limit and each call creation taking
/// <see cref="CreationLatency"/> to answer, as Twilio's API does (the emulator's acted-then-slow fault on every creation): the
/// workers warm up dialing a wave of callers, then hold the first requests of the measured callers while the rest queue
/// (the emulator holds those creations' answers back), and are let go together: dial requests per second.
/// </summary>
public sealed class WorkerThroughputScenario(BenchSize size, BenchSystems systems)
{
    public const string Name = "workers";

    /// <summary>What a call creation takes at Twilio: the worker waits for it with the dial request in hand.</summary>
    public static readonly TimeSpan CreationLatency = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Dial requests each worker handles at once. At the default (16) one worker dials about 65 a second here, and two would need
    /// more of the two cores than the rest of the system leaves them: the machine, not the workers, would set the ratio. At 8
    /// one worker is bound by Twilio's latency alone, and two by theirs.
    /// </summary>
    public const int DialsAtOnce = 8;

    /// <summary>Callers per second while the queue fills: the ring scenario's rate.</summary>
    private const double CallRate = 50;

    /// <summary>Callers the workers dial before the measurement: enough for their processes to compile the dial path optimised.</summary>
    private const int WarmUpCalls = 400;

    /// <summary>Longer than filling the queue takes: the creations are let go by setting the rules again.</summary>
    private static readonly TimeSpan HeldBack = TimeSpan.FromMinutes(10);

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
        await SetCreationsAsync(system, CreationLatency, cancellationToken);

        // Rung, never answered: after the creation nothing more happens within the measurement.
        var agents = await AgentPool.SignInAvailableAsync(system, requests, "never", 0, listen: false, cancellationToken);
        var customers = new string[requests];
        try
        {
            await WarmUpAsync(system, requests, cancellationToken);

            // The workers take as many requests as they handle at once and wait on those creations, held back by the emulator; the
            // rest wait in the queue until the creations are let go.
            var feed = new EventFeed(system.Emulator);
            await feed.SkipPastAsync(cancellationToken);
            await SetCreationsAsync(system, HeldBack, cancellationToken);
            using (var filling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                // Read while the callers arrive: the emulator keeps only its latest events.
                var reading = ReadWhileAsync(feed, filling.Token);
                await CallAsync(system, customers, firstNumber: 0, cancellationToken);
                await filling.CancelAsync();
                await reading;
            }

            var wanted = customers.ToHashSet(StringComparer.Ordinal);
            // Each worker has as many creations held as it handles at once: the emulator logs a request once it is answered.
            var queued = await WaitForQueuedAsync(system, requests - workers * DialsAtOnce, feed, wanted, cancellationToken) + workers * DialsAtOnce;
            Progress.Report(Name, $"{requests} dial requests queued or at the emulator ({queued} messages); letting {workers} warm worker(s) dial");

            var before = system.Usage();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            // Setting the rules again lets the held creations answer.
            await SetCreationsAsync(system, CreationLatency, cancellationToken);
            await feed.ReadUntilAsync(events => CreationTimes(events, wanted).Count >= requests, TimeSpan.FromSeconds(120), cancellationToken);
            var usage = ServiceUsage.Between(before, system.Usage());
            var seconds = Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, 1);

            // The held creations came in while the queue filled: the first tenth, left out of the rate with the start of the drain.
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

    /// <summary>
    /// The workers dial a wave of callers as they will in the measurement, so that their processes have compiled the dial path to
    /// optimised code; the callers hang up and every agent is free again before the measured callers arrive.
    /// </summary>
    private static async Task WarmUpAsync(BenchSystem system, int agents, CancellationToken cancellationToken)
    {
        var callers = new string[Math.Min(WarmUpCalls, agents)];
        Progress.Report(Name, $"warm-up: {callers.Length} callers dialed by the workers");
        var feed = new EventFeed(system.Emulator);
        await feed.SkipPastAsync(cancellationToken);
        await CallAsync(system, callers, firstNumber: agents, cancellationToken);
        var wanted = callers.ToHashSet(StringComparer.Ordinal);
        await feed.ReadUntilAsync(events => CreationTimes(events, wanted).Count >= callers.Length, TimeSpan.FromSeconds(120), cancellationToken);
        await CallWave.HangUpAsync(system, callers, agents, cancellationToken);
    }

    /// <summary>
    /// Callers arriving at a steady rate the webhook answers comfortably: a burst of them all at once would make the broker's
    /// confirms outlast their timeout, and the copies the outbox then publishes too would be part of what is drained.
    /// </summary>
    private static Task CallAsync(BenchSystem system, string[] customers, long firstNumber, CancellationToken cancellationToken) =>
        OpenLoop.RunAsync(CallRate, TimeSpan.FromSeconds(customers.Length / CallRate), async (i, ct) =>
        {
            customers[i] = await system.Emulator.CallSupportLineAsync(IncomingCallWebhook.Number(firstNumber + i), ct);
            return true;
        }, cancellationToken);

    /// <summary>Every call creation answered only after <paramref name="latency"/>, carried out at once.</summary>
    private static async Task SetCreationsAsync(BenchSystem system, TimeSpan latency, CancellationToken cancellationToken)
    {
        foreach (var endpoint in Creations)
        {
            if (!await system.Emulator.SetFaultAsync(
                new FaultRule(endpoint, ActedThenSlowRate: 1, SlowMilliseconds: (int)latency.TotalMilliseconds), cancellationToken))
            {
                throw new InvalidOperationException($"the emulator did not take the creation latency for {endpoint}");
            }
        }
    }

    /// <summary>
    /// Arrival times of the creations for the wanted callers, earliest first: answered, or carried out although the worker stopped
    /// waiting for the answer (held back while the queue filled).
    /// </summary>
    private static List<DateTimeOffset> CreationTimes(IEnumerable<EmulatorEvent> events, HashSet<string> customers) =>
        [.. events.Where(e => (e.AgentCallConference ?? e.UnansweredAgentCallConference) is { } conference && customers.Contains(conference))
            .Select(e => e.Timestamp).Order()];

    /// <summary>The rate after the first tenth of the creations (the held ones, and the drain starting) and before the last tenth's stragglers.</summary>
    private static double SteadyRate(List<DateTimeOffset> creations)
    {
        if (creations.Count < 10)
        {
            return creations.Count > 1 ? Math.Round((creations.Count - 1) / (creations[^1] - creations[0]).TotalSeconds, 1) : 0;
        }

        var first = creations.Count / 10;
        var last = creations.Count - 1 - creations.Count / 10;
        var seconds = (creations[last] - creations[first]).TotalSeconds;
        return seconds > 0 ? Math.Round((last - first) / seconds, 1) : 0;
    }

    private static async Task ReadWhileAsync(EventFeed feed, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await feed.ReadAsync(stop);
                await Task.Delay(TimeSpan.FromMilliseconds(500), stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The callers are in.
        }
    }

    /// <summary>
    /// Waits until at least <paramref name="requests"/> dial requests are in the queue or were answered by the emulator (a held
    /// creation that timed out at the worker, which then found the call Twilio had made, and took the next), and returns how many.
    /// </summary>
    private static async Task<long> WaitForQueuedAsync(
        BenchSystem system, int requests, EventFeed feed, HashSet<string> customers, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = new Uri((await system.App.GetConnectionStringAsync("rabbitmq", cancellationToken))!) };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            await feed.ReadAsync(cancellationToken);
            var messages = (await channel.QueueDeclarePassiveAsync("dial-requests", cancellationToken)).MessageCount + CreationTimes(feed.Events, customers).Count;
            if (messages >= requests)
            {
                return messages;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"{messages} of {requests} dial requests were queued or answered by the emulator within 60 s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }
}
