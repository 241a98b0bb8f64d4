namespace WarmTransfer.Benchmarks.Scenarios;

/// <param name="SignedIn">Agents signed in, each with its page's hub connection and heartbeat, all available.</param>
/// <param name="Rounds">How many times a window without calls was followed by one with calls; every figure is their sum.</param>
/// <param name="Calls">Customers who called in the loaded windows, each answered by an agent.</param>
/// <param name="IdleCpuSeconds">The portal's processor time over <paramref name="IdleSeconds"/> with no call: the signed-in pages' heartbeats and pushes.</param>
/// <param name="LoadedCpuSeconds">The same over <paramref name="WindowSeconds"/> (as long, or longer when the answers took longer) in which the calls came and were answered.</param>
public sealed record PortalRun(
    int SignedIn, int Rounds, int Calls, int Answered, double IdleSeconds, double WindowSeconds, double IdleCpuSeconds, double LoadedCpuSeconds)
{
    /// <summary>What the calls cost the portal beyond what the same time without calls cost it, per call, in ms.</summary>
    public double CpuPerCallMs => Calls > 0 && IdleSeconds > 0
        ? Math.Round((LoadedCpuSeconds - IdleCpuSeconds * WindowSeconds / IdleSeconds) * 1000 / Calls, 1)
        : 0;

    /// <summary>Two measurements of the same agents as one.</summary>
    public static PortalRun operator +(PortalRun a, PortalRun b) =>
        new(a.SignedIn, a.Rounds + b.Rounds, a.Calls + b.Calls, a.Answered + b.Answered, a.IdleSeconds + b.IdleSeconds, a.WindowSeconds + b.WindowSeconds,
            a.IdleCpuSeconds + b.IdleCpuSeconds, a.LoadedCpuSeconds + b.LoadedCpuSeconds);
}

/// <param name="Ratio">The portal's cost per call with the most agents signed in over that with the fewest.</param>
public sealed record PortalResult(IReadOnlyList<PortalRun> Runs, double Ratio);

/// <summary>
/// The same calls with few and with many agents signed in: what the portal spends per call (each call is a handful of agent
/// updates: rung, answered, in the call) beyond what the signed-in pages cost it anyway. An update must cost the same however
/// many agents are signed in.
/// </summary>
public sealed class PortalScenario(BenchSize size, BenchSystems systems)
{
    public const string Name = "portal";

    public async Task<PortalResult> RunAsync(CancellationToken cancellationToken)
    {
        var runs = new List<PortalRun>();
        foreach (var signedIn in size.PortalAgents)
        {
            runs.Add(await RunAsync(signedIn, cancellationToken));
        }

        var ratio = runs is [var fewest, .., var most] && fewest.CpuPerCallMs > 0 ? Math.Round(most.CpuPerCallMs / fewest.CpuPerCallMs, 2) : 0;
        return new PortalResult(runs, ratio);
    }

    private async Task<PortalRun> RunAsync(int signedIn, CancellationToken cancellationToken)
    {
        var rate = size.PortalCalls / size.PortalCallDuration.TotalSeconds;
        Progress.Report(Name, $"starting the system with {signedIn} agents");
        await using var lease = await systems.StartAsync(new SystemSettings(BenchSystem.HighestBudget, Agents: signedIn), cancellationToken);
        var system = lease.System;
        var agents = await AgentPool.SignInAvailableAsync(system, signedIn, "answer", 300, listen: true, cancellationToken);
        try
        {
            // The same calls first, in waves, so that nothing measured is compiled on the way; then their agents are free again.
            var idleCores = await system.IdleCoresAsync(size.SettleTimeout, cancellationToken);
            await CallWave.WarmUpAsync(system, Name, rate, size.PortalCallDuration, size.WarmupWaves, signedIn, size.SettleTimeout, idleCores,
                cancellationToken, size.PortalTalk);

            // Windows without and with calls take turns, so that a drift of what the pages cost anyway falls on both.
            var window = size.PortalWindow;
            var run = new PortalRun(signedIn, 0, 0, 0, 0, 0, 0, 0);
            for (var round = 1; round <= size.PortalRounds; round++)
            {
                if (round > 1)
                {
                    await system.QuietAsync(size.SettleTimeout, idleCores, cancellationToken);
                }

                Progress.Report(Name, $"{signedIn} agents signed in, round {round} of {size.PortalRounds}: {window.TotalSeconds:0} s without calls");
                var before = PortalCpu(system);
                await Task.Delay(window, cancellationToken);
                var idle = PortalCpu(system) - before;

                Progress.Report(Name, $"{size.PortalCalls} customers calling over {size.PortalCallDuration.TotalSeconds:0.#} s, each hanging up after {size.PortalTalk.TotalSeconds:0.#} s");
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                before = PortalCpu(system);
                // Each call's whole life in the window: rung, answered, hung up, the agent free again.
                var wave = await CallWave.PlaceAsync(system, rate, size.PortalCallDuration, firstNumber: (long)signedIn * (size.WarmupWaves + round),
                    cancellationToken, hangUpAfter: size.PortalTalk);
                await wave.AllAnsweredAsync(window, cancellationToken);
                await wave.HungUp;
                await CallWave.AgentsAvailableAsync(system, signedIn, cancellationToken);
                var left = window - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                if (left > TimeSpan.Zero)
                {
                    // As long as the idle window, so what the signed-in pages cost anyway cancels out.
                    await Task.Delay(left, cancellationToken);
                }

                var loaded = PortalCpu(system) - before;
                var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
                var measured = new PortalRun(signedIn, 1, wave.Customers.Count, wave.Answered, window.TotalSeconds, seconds, idle, loaded);
                Progress.Report(Name, $"{signedIn} signed in, round {round}: idle {idle:0.00} s, with {measured.Calls} calls {loaded:0.00} s: {measured.CpuPerCallMs} ms per call");
                run += measured;
            }

            run = run with
            {
                WindowSeconds = Math.Round(run.WindowSeconds, 1), IdleCpuSeconds = Math.Round(run.IdleCpuSeconds, 2), LoadedCpuSeconds = Math.Round(run.LoadedCpuSeconds, 2),
            };
            Progress.Report(Name, $"{signedIn} signed in, {run.Rounds} rounds: idle {run.IdleCpuSeconds} s, with {run.Calls} calls {run.LoadedCpuSeconds} s: {run.CpuPerCallMs} ms per call");
            return run;
        }
        finally
        {
            await AgentPool.DisposeAllAsync(agents);
        }
    }

    private static double PortalCpu(BenchSystem system) => system.Usage().Where(s => s.Service == "agentportal").Sum(s => s.CpuSeconds);
}
