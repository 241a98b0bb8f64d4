namespace WarmTransfer.Benchmarks.Scenarios;

/// <param name="Rung">Callers whose agent's call creation reached the emulator.</param>
/// <param name="TimeToRing">From the emulator sending the incoming-call webhook to it receiving the agent's call creation.</param>
/// <param name="Seconds">From the first call placed until the last agent was rung.</param>
/// <param name="Services">Each service's peak memory, and the processor time it used over those seconds.</param>
public sealed record TimeToRingResult(
    double CallsPerSecond, int CallsPerSecondBudget, int Callers, int Rung, Percentiles TimeToRing, double Seconds, IReadOnlyList<ServiceUsage> Services);

/// <summary>
/// Customers call at a fixed rate, each with an agent available, and the dialing budget too high to hold anyone back:
/// how long from Twilio sending the incoming-call webhook until Twilio receives the request that rings the agent,
/// both times as the emulator logged them.
/// </summary>
public sealed class TimeToRingScenario(BenchSize size)
{
    public const string Name = "ring";
    public async Task<TimeToRingResult> RunAsync(CancellationToken cancellationToken)
    {
        var callers = (int)Math.Round(size.RingRate * size.RingDuration.TotalSeconds);
        Progress.Report(Name, $"starting the system with {callers} agents");
        await using var system = await BenchSystem.StartAsync(new SystemSettings(BenchSystem.HighestBudget, Agents: callers), cancellationToken);
        var agents = await AgentPool.SignInAvailableAsync(system, callers, "answer", 1000, listen: false, cancellationToken);
        try
        {
            var feed = new EventFeed(system.Emulator);
            await feed.SkipPastAsync(cancellationToken);
            var customers = new string[callers];
            var before = system.Usage();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            Progress.Report(Name, $"{callers} customers calling at {size.RingRate} calls/s");
            var placed = await OpenLoop.RunAsync(size.RingRate, size.RingDuration, async (i, ct) =>
            {
                customers[i] = await system.Emulator.CallSupportLineAsync(IncomingCallWebhook.Number(i), ct);
                return true;
            }, cancellationToken);
            Progress.Report(Name, $"placed {placed.Sent - placed.Failed} calls ({placed.Latency} to place)");

            var waiting = customers.Where(c => c is not null).ToHashSet(StringComparer.Ordinal);
            await feed.ReadUntilAsync(events => Rings(events) is var rung && waiting.All(rung.ContainsKey), TimeSpan.FromSeconds(60), cancellationToken);
            var seconds = Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, 1);
            var usage = ServiceUsage.Between(before, system.Usage());

            var rings = Rings(feed.Events);
            var webhooks = feed.Events.Where(e => e.Kind == "voice-webhook" && e.Url?.EndsWith("/voice/incoming", StringComparison.Ordinal) == true && e.CallSid is not null)
                .GroupBy(e => e.CallSid!).ToDictionary(g => g.Key, g => g.Min(e => e.Timestamp), StringComparer.Ordinal);
            var latencies = new LatencyRecorder();
            foreach (var customer in waiting.Where(c => rings.ContainsKey(c) && webhooks.ContainsKey(c)))
            {
                latencies.Record(rings[customer] - webhooks[customer]);
            }

            var result = new TimeToRingResult(size.RingRate, BenchSystem.HighestBudget, waiting.Count, rings.Keys.Count(waiting.Contains), latencies.Summary(),
                seconds, usage);
            Progress.Report(Name, $"{result.Rung} of {result.Callers} agents rung: {result.TimeToRing}");
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
