using System.Collections.Concurrent;
using StackExchange.Redis;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.Benchmarks.Scenarios;

/// <param name="SustainedRate">The highest rate of the ladder answered in full with p99 under the limit (0: none).</param>
/// <param name="Ladder">Every rate tried, lowest first, up to the second in a row not sustained.</param>
/// <param name="AtFixedRate">A longer run at the fixed comparison rate.</param>
/// <param name="CpuPerRequest">
/// Each process's processor time per request (µs) in the step of the highest sustained rate, the largest first: what one request
/// costs the machine, and so how many two cores can answer at most.
/// </param>
public sealed record EndpointResult(
    string Endpoint, double SustainedRate, IReadOnlyList<LoadResult> Ladder, LoadResult AtFixedRate, int TwimlBytes, IReadOnlyList<ProcessCost> CpuPerRequest)
{
    /// <summary>Every process's processor time per request (µs).</summary>
    public double TotalCpuPerRequest => Math.Round(CpuPerRequest.Sum(p => p.Microseconds), 0);

    /// <summary>The most requests a second two cores could answer at that cost, were nothing else running.</summary>
    public double CoresCeiling(int cores) => TotalCpuPerRequest > 0 ? Math.Round(cores * 1_000_000 / TotalCpuPerRequest, 0) : 0;
}

/// <param name="Microseconds">Processor time per request.</param>
public sealed record ProcessCost(string Process, double Microseconds);

/// <param name="Baseline">Kestrel answering fixed TwiML, nothing else.</param>
/// <param name="CheckedBaseline">Kestrel reading the form, checking the signature and building the TwiML, nothing else.</param>
/// <param name="WebhookApi">WebhookApi with no agent free: the caller is put in line.</param>
/// <param name="Claiming">WebhookApi with agents free: one is claimed and the dial published, in windows as long as the agents last.</param>
/// <param name="Ratio">WebhookApi's sustained rate over the baseline's.</param>
/// <param name="CheckedRatio">WebhookApi's sustained rate over the checked baseline's.</param>
public sealed record WebhookResult(
    double P99LimitMs, double FixedRate, EndpointResult Baseline, EndpointResult CheckedBaseline, EndpointResult WebhookApi, LoadResult Claiming,
    int ClaimingAgents, double Ratio, double CheckedRatio);

/// <summary>
/// Signed incoming-call webhooks at rising rates against WebhookApi, and the same against two baselines in the same run:
/// Kestrel answering the same TwiML with no work, and Kestrel doing what any Twilio webhook must (form, signature, TwiML).
/// The highest rate each sustains with p99 under 10 ms, and the percentiles at a fixed 200 requests a second — for WebhookApi
/// both with no agent free (the caller waits in line) and with agents free (one is claimed and the dial published).
/// Every caller a step sent hangs up after it (their conference ends), so each step starts from an empty line.
/// </summary>
public sealed class WebhookScenario(BenchSize size, BenchSystems systems)
{
    public const string Name = "webhook";
    private static readonly TimeSpan P99Limit = TimeSpan.FromMilliseconds(10);

    public async Task<WebhookResult> RunAsync(CancellationToken cancellationToken)
    {
        Progress.Report(Name, "starting the system and the baselines");
        await using var lease = await systems.StartAsync(
            new SystemSettings(BenchSystem.HighestBudget, Agents: size.WebhookClaimAgents, WithBaseline: true), cancellationToken);
        var system = lease.System;
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            Timeout = TimeSpan.FromSeconds(15),
        };
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await system.App.GetConnectionStringAsync("redis", cancellationToken))!);
        var line = new LineKeeper(http, redis.GetDatabase());

        // The same signed webhooks to all: the bare baseline ignores what the others check.
        // What each process uses with no request coming: taken off what it used in each step, so a request's cost is its own.
        var idle = await system.IdleCoresByProcessAsync(size.SettleTimeout, cancellationToken);
        var baseline = await MeasureAsync(system, idle, "baseline", new IncomingCallWebhook(system.Baseline, system.AuthToken), http, null, cancellationToken);
        var checkedBaseline = await MeasureAsync(system, idle, "checked", new IncomingCallWebhook(system.Baseline, system.AuthToken, BaselineServer.CheckedPath), http, null,
            cancellationToken);
        var webhooks = await MeasureAsync(system, idle, "webhookapi", new IncomingCallWebhook(system.WebhookApi, system.AuthToken), http, line, cancellationToken);
        var claiming = await ClaimingAsync(system, http, line, cancellationToken);
        return new WebhookResult(P99Limit.TotalMilliseconds, size.WebhookFixedRate, baseline, checkedBaseline, webhooks, claiming, size.WebhookClaimAgents,
            Ratio(webhooks, baseline), Ratio(webhooks, checkedBaseline));
    }

    private static double Ratio(EndpointResult measured, EndpointResult baseline) =>
        baseline.SustainedRate > 0 ? Math.Round(measured.SustainedRate / baseline.SustainedRate, 3) : 0;

    private async Task<EndpointResult> MeasureAsync(BenchSystem system, IReadOnlyDictionary<string, double> idle, string endpoint, IncomingCallWebhook webhook, HttpClient http, LineKeeper? line,
        CancellationToken cancellationToken)
    {
        var twimlBytes = 0;
        async Task<bool> SendAsync(long i, CancellationToken ct)
        {
            var callSid = IncomingCallWebhook.NewCallSid();
            line?.Sent(callSid);
            using var request = webhook.Create(callSid, IncomingCallWebhook.Number(i));
            using var response = await http.SendAsync(request, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            twimlBytes = body.Length;
            return response.IsSuccessStatusCode && body.Length > 0;
        }

        // A step's latencies, and what each process spent per request beyond its idle use.
        async Task<(LoadResult Result, IReadOnlyList<ProcessCost> Cost)> StepAsync(double rate, TimeSpan duration)
        {
            var before = system.Usage();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var result = await OpenLoop.RunAsync(rate, duration, SendAsync, cancellationToken);
            var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            IReadOnlyList<ProcessCost> cost = [.. ServiceUsage.Between(before, system.Usage())
                .Select(u => (u.Service, Seconds: u.CpuSeconds - idle.GetValueOrDefault(u.Service) * seconds))
                .Where(u => u.Seconds > 0)
                .Select(u => new ProcessCost(u.Service, Math.Round(u.Seconds * 1_000_000 / Math.Max(1, result.Sent), 0)))
                .OrderByDescending(p => p.Microseconds)];
            if (line is not null)
            {
                await line.EmptyAsync(webhook, cancellationToken);
            }

            await Task.Delay(size.WebhookPause, cancellationToken);
            return (result, cost);
        }

        // Connections opened and code paths warmed, and the system's start settled, before anything counts.
        await StepAsync(size.WebhookWarmupRate, size.WebhookWarmup);

        var ladder = new List<LoadResult>();
        IReadOnlyList<ProcessCost> costAtBest = [];
        foreach (var rate in size.WebhookRates)
        {
            var (result, cost) = await StepAsync(rate, size.WebhookStep);
            ladder.Add(result);
            var sustained = result.Sustains(P99Limit);
            if (sustained)
            {
                costAtBest = cost;
            }

            Progress.Report(Name, $"{endpoint,-10} {rate,6} req/s: answered {result.AchievedRate} req/s, failed {result.Failed}, {result.Latency}, " +
                $"{cost.Sum(p => p.Microseconds):0} µs of processor time per request{(sustained ? "" : "  (not sustained)")}");
            // One step can miss by a hiccup of the machine; two in a row is the limit.
            if (!sustained && ladder.Count > 1 && !ladder[^2].Sustains(P99Limit))
            {
                break;
            }
        }

        // Warmed at the fixed rate again after the ladder's last, overloaded step.
        await StepAsync(size.WebhookFixedRate, size.WebhookWarmup);
        var (fixedRate, _) = await StepAsync(size.WebhookFixedRate, size.WebhookFixedDuration);
        Progress.Report(Name, $"{endpoint,-10} at {size.WebhookFixedRate} req/s for {size.WebhookFixedDuration.TotalSeconds} s: failed {fixedRate.Failed}, {fixedRate.Latency}");
        var best = ladder.Where(r => r.Sustains(P99Limit)).Select(r => r.TargetRate).DefaultIfEmpty(0).Max();
        return new EndpointResult(endpoint, best, ladder, fixedRate, twimlBytes, costAtBest);
    }

    /// <summary>
    /// Agents signed in and free (their softphones never answer): each webhook claims one and publishes its dial, at the fixed
    /// rate for as long as the agents last; the callers then hang up, the agents are free again, and the next window runs.
    /// </summary>
    private async Task<LoadResult> ClaimingAsync(BenchSystem system, HttpClient http, LineKeeper line, CancellationToken cancellationToken)
    {
        var agents = size.WebhookClaimAgents;
        Progress.Report(Name, $"signing in {agents} agents for the claiming path");
        var pool = await AgentPool.SignInAvailableAsync(system, agents, "never", 0, listen: false, cancellationToken);
        try
        {
            var webhook = new IncomingCallWebhook(system.WebhookApi, system.AuthToken);
            var window = TimeSpan.FromSeconds(agents / size.WebhookFixedRate);
            var all = new LatencyRecorder();
            var results = new List<LoadResult>();
            for (var i = 0; i < size.WebhookClaimWindows + 1; i++)
            {
                await line.AgentsFreeAsync(agents, cancellationToken);
                var result = await OpenLoop.RunAsync(size.WebhookFixedRate, window, async (n, ct) =>
                {
                    var callSid = IncomingCallWebhook.NewCallSid();
                    line.Sent(callSid);
                    using var request = webhook.Create(callSid, IncomingCallWebhook.Number(n));
                    using var response = await http.SendAsync(request, ct);
                    return response.IsSuccessStatusCode;
                }, cancellationToken, i == 0 ? null : all);
                await line.EmptyAsync(webhook, cancellationToken);
                Progress.Report(Name, $"claiming {(i == 0 ? "warm-up" : $"window {i}")}: {result.Latency}");
                if (i > 0)
                {
                    results.Add(result);
                }
            }

            return new LoadResult(size.WebhookFixedRate, results.Sum(r => r.Sent), results.Sum(r => r.Failed),
                Math.Round(results.Average(r => r.AchievedRate), 1), all.Summary(), [.. results.SelectMany(r => r.PerSecond)]);
        }
        finally
        {
            await AgentPool.DisposeAllAsync(pool);
        }
    }

    /// <summary>The callers a step sent: hung up after it, so the next step starts from an empty line with every agent free.</summary>
    private sealed class LineKeeper(HttpClient http, IDatabase redis)
    {
        private ConcurrentBag<string> _sent = [];

        public void Sent(string callSid) => _sent.Add(callSid);

        public async Task EmptyAsync(IncomingCallWebhook webhook, CancellationToken cancellationToken)
        {
            var callers = Interlocked.Exchange(ref _sent, []);
            await Parallel.ForEachAsync(callers, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (callSid, ct) =>
            {
                using var request = webhook.ConferenceEnded(callSid);
                using var response = await http.SendAsync(request, ct);
            });
            await UntilAsync(async () => await redis.ListLengthAsync(RedisKeys.WaitingCallers) == 0, "the line did not empty", cancellationToken);
        }

        public Task AgentsFreeAsync(int agents, CancellationToken cancellationToken) =>
            UntilAsync(async () => await redis.SortedSetLengthAsync(RedisKeys.AvailableAgents) >= agents, $"the {agents} agents were not all free", cancellationToken);

        private static async Task UntilAsync(Func<Task<bool>> done, string problem, CancellationToken cancellationToken)
        {
            var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
            while (!await done())
            {
                if (DateTimeOffset.UtcNow > deadline)
                {
                    throw new TimeoutException($"{problem} within 60 s");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
        }
    }
}
