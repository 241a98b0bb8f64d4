using System.Diagnostics;
using System.Text.Json.Serialization;
using WarmTransfer.Benchmarks.Chaos;

namespace WarmTransfer.Benchmarks.Scenarios;

/// <summary>What a chaos run did and which invariants it broke.</summary>
/// <param name="Actions">How many times the bench's customers and agents did each thing.</param>
/// <param name="Notes">What the run could not do as asked (an emulator without a fault or route) and fallbacks it took.</param>
/// <param name="EventGaps">Times the emulator dropped events before the bench read them (0: the log is complete).</param>
/// <param name="Summary">The run's last line: <c>chaos: N violations (seed S)</c>.</param>
/// <param name="Started">The start of the run, from which the examples' timelines count.</param>
public sealed record ChaosResult(
    DateTimeOffset Started, int Seed, int Agents, double CallsPerSecond, double Minutes, int CallsPerSecondBudget, double Seconds,
    int Customers, int CustomersHungUp, IReadOnlyDictionary<string, int> Actions, IReadOnlyList<string> Notes,
    int Events, int EventGaps, int Snapshots, IReadOnlyList<InvariantResult> Invariants, int Violations, string Summary,
    ChaosSettings Settings, IReadOnlyList<ServiceUsage> Services)
{
    /// <summary>Everything the run recorded, written to a file of its own beside the results.</summary>
    [JsonIgnore]
    public ChaosRecording? Recording { get; init; }
}

/// <summary>
/// The chaos soak: the whole system through the AppHost with the emulator delivering callbacks concurrently, late, twice
/// or never, and failing a share of REST calls after acting on them; headless agents that are real clients (portal page,
/// hub, softphone on the device socket) acting at random on what they are pushed; customers calling at a rate and hanging
/// up at random moments. One seed drives every random choice of the bench and the emulator's delivery. What happened is
/// recorded and checked against the invariants (<see cref="InvariantChecker"/>); violations are reported, not failed on.
/// </summary>
public sealed class ChaosScenario(ChaosSettings settings)
{
    public const string Name = "chaos";

    private static readonly TimeSpan SnapshotInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(10);

    public async Task<ChaosResult> RunAsync(CancellationToken cancellationToken)
    {
        var s = settings;
        Progress.Report(Name, $"seed {s.Seed}: starting the system with {s.Agents} agents{(s.Clusters ? " on the local clusters, three replicas of every service" : "")}");
        await using var system = await BenchSystem.StartAsync(
            new SystemSettings(CallsPerSecond: null, Agents: s.Agents, WorkerReplicas: s.Clusters ? 3 : 2, Clusters: s.Clusters,
                RingTimeoutSeconds: s.RingTimeoutSeconds, TokenLifetime: s.TokenLifetime,
                WrapUpSeconds: s.WrapUpSeconds),
            cancellationToken);
        var log = new ChaosLog(TimeProvider.System);
        await BreakTwilioAsync(system.Emulator, log, cancellationToken);

        var recorder = new ChaosRecorder(system.Emulator, log, SnapshotInterval);
        await recorder.SkipPastAsync(cancellationToken);
        var agents = BenchSystem.AgentIds(s.Agents)
            .Select((id, i) => new ChaosAgent(id, system.Portal, BenchSystem.AgentPassword, system.Emulator, log, s.Agent, Derive(s.Seed, i + 1)))
            .ToList();
        var customers = new ChaosCustomers(system.Emulator, log, s.Customer, Derive(s.Seed, 0));
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = new List<Task>();
        try
        {
            var started = log.Now;
            // One after another, so the longest-idle order is the directory's.
            foreach (var agent in agents)
            {
                await agent.StartAsync(cancellationToken);
            }

            Progress.Report(Name, $"{s.Agents} agents signed in with their softphones; customers call at {s.CallsPerSecond} a second for {s.Minutes:0.##} min");
            var before = system.Usage();
            var clock = Stopwatch.StartNew();
            tasks.Add(recorder.RunAsync(customers.Saw, stopping.Token));
            tasks.AddRange(agents.Select(agent => agent.RunAsync(stopping.Token)));
            tasks.Add(ReportProgressAsync(recorder, customers, agents, log, stopping.Token));

            await customers.CallAsync(s.CallsPerSecond, s.Duration, cancellationToken);
            var lineClosed = log.Now;
            Progress.Report(Name, $"the line is closed after {customers.Called} customers; the agents serve who is left (up to {s.Drain.TotalSeconds:0} s)");
            agents.ForEach(agent => agent.Drain());
            var drainUntil = Stopwatch.GetTimestamp() + (long)(s.Drain.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < drainUntil
                && (recorder.Latest is not { } latest || latest.At < lineClosed || customers.Count(latest).Live > 0))
            {
                await Task.Delay(SnapshotInterval, cancellationToken);
            }

            await stopping.CancelAsync();
            await Task.WhenAll(tasks);
            await customers.StopAsync();
            // The last look, at the end of the run: what follows (agents going, the system stopping) is not judged.
            await recorder.TakeAsync(_ => { }, cancellationToken);
            var ended = recorder.Latest!.At;
            var seconds = Math.Round(clock.Elapsed.TotalSeconds, 1);
            var usage = ServiceUsage.Between(before, system.Usage());

            var recording = new ChaosRecording(s.Seed, system.CallsPerSecondBudget, started, lineClosed, ended,
                recorder.Events, recorder.Snapshots, log.Views, log.Actions);
            var verdict = InvariantChecker.Check(recording);
            foreach (var invariant in verdict.Invariants)
            {
                Progress.Report(Name, $"{invariant.Id} {invariant.Count,5}  {invariant.Rule}");
            }

            return new ChaosResult(started, s.Seed, s.Agents, s.CallsPerSecond, s.Minutes, system.CallsPerSecondBudget, seconds,
                customers.Called, customers.HungUp,
                log.Actions.GroupBy(a => a.Action).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
                [.. log.Notes, .. recorder.EventGaps > 0 ? [$"the emulator dropped events {recorder.EventGaps} times before they were read"] : Array.Empty<string>()],
                recorder.Events.Count, recorder.EventGaps, recorder.Snapshots.Count, verdict.Invariants, verdict.Violations, verdict.Summary,
                s, usage)
            {
                Recording = recording,
            };
        }
        finally
        {
            await stopping.CancelAsync();
            await Task.WhenAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
            foreach (var agent in agents)
            {
                await agent.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Callbacks concurrent, late, lost and duplicated, with the run's seed; a share of call creations, call updates and
    /// participant updates failing or answering slowly after Twilio acted. An emulator without these says so and the run goes on.
    /// </summary>
    private async Task BreakTwilioAsync(EmulatorAdmin emulator, ChaosLog log, CancellationToken cancellationToken)
    {
        var s = settings;
        if (await emulator.SetDeliveryAsync(s.Delivery, cancellationToken))
        {
            Progress.Report(Name, $"callbacks concurrent, up to {s.Delivery.MaxJitterMs} ms late, {s.Delivery.DropRate:P0} lost, {s.Delivery.DuplicateRate:P0} twice (seed {s.Seed})");
        }
        else
        {
            log.Note("callbacks stay ordered and complete: this emulator has no PUT /admin/delivery (it answered 404 or 400)");
        }

        var refused = new List<string>();
        foreach (var endpoint in new[] { FaultRule.CreateCall, FaultRule.UpdateCall, FaultRule.UpdateParticipant })
        {
            var rule = new FaultRule(endpoint, ActedThenErrorRate: s.ActedThenErrorRate, ActedThenSlowRate: s.ActedThenSlowRate, SlowMilliseconds: s.SlowMilliseconds);
            if (!await emulator.SetFaultAsync(rule, cancellationToken))
            {
                refused.Add(endpoint);
            }
        }

        if (refused.Count > 0)
        {
            await emulator.ClearFaultsAsync(cancellationToken);
            log.Note($"no acted-then-failed REST faults: this emulator does not take actedThenErrorRate / actedThenSlowRate ({string.Join(", ", refused)})");
        }
        else
        {
            Progress.Report(Name, $"{s.ActedThenErrorRate:P0} of call creations, call updates and participant updates fail after Twilio acted, " +
                $"{s.ActedThenSlowRate:P0} answer after {s.SlowMilliseconds / 1000.0:0.#} s");
        }
    }

    private static async Task ReportProgressAsync(ChaosRecorder recorder, ChaosCustomers customers, IReadOnlyList<ChaosAgent> agents, ChaosLog log,
        CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(ProgressInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var (live, waiting) = recorder.Latest is { } latest ? customers.Count(latest) : (0, 0);
                var statuses = string.Join(", ", agents.GroupBy(a => a.Status).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"));
                Progress.Report(Name, $"{customers.Called} customers called, {live} on the line ({waiting} waiting for an agent), {customers.HungUp} hung up; " +
                    $"agents: {statuses}; {recorder.EventCount} events");
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over.
        }
    }

    /// <summary>A seed of its own for each of the bench's random streams (0: customers, 1…: agents), the same for the same run seed.</summary>
    private static int Derive(int seed, int stream) => unchecked((int)((uint)seed * 2654435761u ^ (uint)(stream * 40503 + 1)));
}
