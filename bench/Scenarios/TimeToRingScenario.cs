namespace WarmTransfer.Benchmarks.Scenarios;

/// <param name="Rung">Callers whose agent's call creation reached the emulator.</param>
/// <param name="Answered">Callers whose agent answered and joined them.</param>
/// <param name="TimeToRing">From the emulator sending the incoming-call webhook to it receiving the agent's call creation.</param>
/// <param name="PerSecond">The same, for the callers of each second of the window, so warm-up or drift shows.</param>
/// <param name="Seconds">From the first call placed until the last agent answered.</param>
/// <param name="Services">Each service's peak memory, and the processor time it used over those seconds.</param>
/// <param name="IdleCores">What each process used with the agents signed in and no call, in cores (measured before the warm-up).</param>
public sealed record TimeToRingResult(
    double CallsPerSecond, int CallsPerSecondBudget, int WarmupCallers, int Callers, int Rung, int Answered, Percentiles TimeToRing,
    IReadOnlyList<Percentiles> PerSecond, double Seconds, IReadOnlyList<ServiceUsage> Services, IReadOnlyDictionary<string, double> IdleCores)
{
    /// <summary>The support line's processor time (every service but Twilio's stand-in and the bench) per answered call, in ms.</summary>
    public double SupportLineCpuPerCall => PerCall(SupportLine.Sum(s => s.CpuSeconds));

    /// <summary>
    /// The same, less what the support line spends over those seconds with no call at all (the signed-in agents' heartbeats,
    /// timers, the broker's own ticking): what the calls added, per call.
    /// </summary>
    public double SupportLineCpuPerCallBeyondIdle => PerCall(SupportLine.Sum(s => s.CpuSeconds - IdleCores.GetValueOrDefault(s.Service) * Seconds));

    private IEnumerable<ServiceUsage> SupportLine => Services.Where(s => ServiceUsage.IsSupportLine(s.Service));

    private double PerCall(double cpuSeconds) => Answered > 0 ? Math.Round(cpuSeconds * 1000 / Answered, 1) : 0;

    /// <summary>Every process's processor time, the emulator and the bench included, per answered call, in ms.</summary>
    public double AllCpuPerCall => PerCall(Services.Sum(s => s.CpuSeconds));
}

/// <summary>
/// Customers call at a fixed rate, each with an agent available, and the dialing budget too high to hold anyone back:
/// how long from Twilio sending the incoming-call webhook until Twilio receives the request that rings the agent,
/// both times as the emulator logged them; and what the processes spent until every agent answered. A warm-up at the same
/// rate comes first (its customers hang up and their agents are free again), so nothing measured is compiled on the way.
/// </summary>
public sealed class TimeToRingScenario(BenchSize size, BenchSystems systems)
{
    public const string Name = "ring";

    /// <summary>How long the headless agents' softphones ring before they answer.</summary>
    private const int AnswerAfterMilliseconds = 300;

    public async Task<TimeToRingResult> RunAsync(CancellationToken cancellationToken)
    {
        var callers = (int)Math.Round(size.RingRate * size.RingDuration.TotalSeconds);
        Progress.Report(Name, $"starting the system with {callers} agents");
        await using var lease = await systems.StartAsync(new SystemSettings(BenchSystem.HighestBudget, Agents: callers), cancellationToken);
        var system = lease.System;
        var agents = await AgentPool.SignInAvailableAsync(system, callers, "answer", AnswerAfterMilliseconds, listen: false, cancellationToken);
        try
        {
            var idle = await system.IdleCoresByProcessAsync(size.SettleTimeout, cancellationToken);
            var warmupCallers = await CallWave.WarmUpAsync(system, Name, size.RingRate, size.RingWarmup, size.WarmupWaves, callers, size.SettleTimeout,
                BenchSystem.ServicesIdle(idle), cancellationToken);
            var before = system.Usage();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            Progress.Report(Name, $"{callers} customers calling at {size.RingRate} calls/s");
            var measured = await CallWave.PlaceAsync(system, size.RingRate, size.RingDuration, firstNumber: 0, cancellationToken);
            Progress.Report(Name, $"placed {measured.Customers.Count} calls ({measured.Placing.Latency} to place)");
            await measured.AllAnsweredAsync(TimeSpan.FromSeconds(60), cancellationToken);
            var seconds = Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, 1);
            var usage = ServiceUsage.Between(before, system.Usage());

            var waiting = measured.Customers;
            var events = measured.Feed.Events;
            var rings = Rings(events);
            var webhooks = events.Where(e => e.Kind == "voice-webhook" && e.Url?.EndsWith("/voice/incoming", StringComparison.Ordinal) == true && e.CallSid is not null)
                .GroupBy(e => e.CallSid!).ToDictionary(g => g.Key, g => g.Min(e => e.Timestamp), StringComparer.Ordinal);
            var latencies = new LatencyRecorder();
            var first = webhooks.Values.DefaultIfEmpty().Min();
            var bySecond = new SortedDictionary<int, LatencyRecorder>();
            foreach (var customer in waiting.Where(c => rings.ContainsKey(c) && webhooks.ContainsKey(c)))
            {
                var latency = rings[customer] - webhooks[customer];
                latencies.Record(latency);
                var second = (int)(webhooks[customer] - first).TotalSeconds;
                (bySecond.TryGetValue(second, out var recorder) ? recorder : bySecond[second] = new LatencyRecorder()).Record(latency);
            }

            var result = new TimeToRingResult(size.RingRate, BenchSystem.HighestBudget, warmupCallers, waiting.Count, rings.Keys.Count(waiting.Contains),
                measured.Answered, latencies.Summary(), [.. bySecond.Values.Select(r => r.Summary())], seconds, usage, idle);
            Progress.Report(Name, $"{result.Rung} of {result.Callers} agents rung, {result.Answered} answered: {result.TimeToRing}; " +
                $"{result.SupportLineCpuPerCall} ms of processor time per answered call ({result.SupportLineCpuPerCallBeyondIdle} ms beyond idle)");
            await measured.EndAsync(system, callers, cancellationToken);
            return result;
        }
        finally
        {
            await AgentPool.DisposeAllAsync(agents);
        }
    }

    /// <summary>When the first successful call creation for each customer's conference arrived.</summary>
    private static Dictionary<string, DateTimeOffset> Rings(IEnumerable<EmulatorEvent> events) =>
        events.Select(e => (Conference: e.AgentCallConference, e.Timestamp))
            .Where(r => r.Conference is not null)
            .GroupBy(r => r.Conference!)
            .ToDictionary(g => g.Key, g => g.Min(r => r.Timestamp), StringComparer.Ordinal);
}
