using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Xunit.Abstractions;

namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// The benchmark command run once at its tiny size with every scenario, the chaos soak included, one system after
/// another in one process: it completes and writes its results.
/// </summary>
public sealed class BenchmarkSmokeRun : IAsyncLifetime
{
    public const int ChaosSeed = 4242;

    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(12);

    private readonly string _results = Path.Combine(Path.GetTempPath(), "warmtransfer-bench-smoke", Guid.NewGuid().ToString("N")[..12]);

    /// <summary>What the run printed: standard output, then standard error.</summary>
    public string Output { get; private set; } = string.Empty;

    /// <summary>The last line of standard output.</summary>
    public string LastLine { get; private set; } = string.Empty;

    public int ExitCode { get; private set; } = -1;

    /// <summary>The Markdown table the run wrote, or null.</summary>
    public string? Markdown { get; private set; }

    /// <summary>The JSON the run wrote, if it wrote one.</summary>
    public JsonElement? Report { get; private set; }

    public int ChaosRecordings => Directory.Exists(_results) ? Directory.EnumerateFiles(_results, "*-chaos-recording.json").Count() : 0;

    public async Task InitializeAsync()
    {
        var assembly = typeof(BenchmarkSmokeRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BenchmarksAssembly").Value!;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] arguments =
        [
            assembly, "--smoke", "--results", _results, "--seed", ChaosSeed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--scenario", "webhook", "--scenario", "ring", "--scenario", "portal", "--scenario", "flow", "--scenario", "workers", "--scenario", "chaos",
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var bench = Process.Start(start)!;
        var stdout = bench.StandardOutput.ReadToEndAsync();
        var stderr = bench.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await bench.WaitForExitAsync(timeout.Token);
            ExitCode = bench.ExitCode;
        }
        catch (OperationCanceledException)
        {
            bench.Kill(entireProcessTree: true);
        }

        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        LastLine = lines.Length > 0 ? lines[^1] : string.Empty;
        Output = $"{await stdout}\n{await stderr}";
        if (ExitCode != 0)
        {
            return;
        }

        Markdown = File.ReadAllText(Directory.EnumerateFiles(_results, "*-smoke.md").Single());
        using var json = JsonDocument.Parse(File.ReadAllText(Directory.EnumerateFiles(_results, "*-smoke.json").Single()));
        Report = json.RootElement.Clone();
    }

    public Task DisposeAsync()
    {
        if (Directory.Exists(_results))
        {
            Directory.Delete(_results, recursive: true);
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Each benchmark scenario, from the one smoke run: it completed, wrote its results, and its numbers are sane. No timing is
/// asserted: these machines measure nothing here.
/// </summary>
public sealed class BenchmarkSmokeTests(BenchmarkSmokeRun run, ITestOutputHelper output) : IClassFixture<BenchmarkSmokeRun>
{
    [Fact]
    public void The_run_writes_its_table_and_results_at_the_smoke_size()
    {
        var report = Report();

        Assert.Contains("| Scenario | Measure | Result | Target |", run.Markdown, StringComparison.Ordinal);
        Assert.Equal("smoke", report.GetProperty("size").GetString());
    }

    [Fact]
    public void Webhook_scenario_measures_WebhookApi_and_both_baselines_at_every_rate_it_tries_and_the_path_that_claims_an_agent()
    {
        var webhook = Report().GetProperty("webhook");

        var claiming = webhook.GetProperty("claiming");
        Assert.Equal(0, claiming.GetProperty("failed").GetInt64());
        Assert.Equal(claiming.GetProperty("sent").GetInt64(), claiming.GetProperty("latency").GetProperty("count").GetInt64());
        AssertOrdered(claiming.GetProperty("latency"));
        Assert.Contains("| Webhook | WebhookApi / checked baseline |", run.Markdown, StringComparison.Ordinal);
        foreach (var endpoint in new[] { webhook.GetProperty("baseline"), webhook.GetProperty("checkedBaseline"), webhook.GetProperty("webhookApi") })
        {
            Assert.True(endpoint.GetProperty("twimlBytes").GetInt32() > 100, $"{endpoint.GetProperty("endpoint")} answered no TwiML");
            var runs = endpoint.GetProperty("ladder").EnumerateArray().Append(endpoint.GetProperty("atFixedRate")).ToList();
            Assert.True(runs.Count >= 2);
            Assert.All(runs, run =>
            {
                Assert.Equal(0, run.GetProperty("failed").GetInt64());
                Assert.Equal(run.GetProperty("sent").GetInt64(), run.GetProperty("latency").GetProperty("count").GetInt64());
                AssertOrdered(run.GetProperty("latency"));
            });
            // What a request cost each process, where a rate was sustained: named, never negative, and summed.
            var costs = endpoint.GetProperty("cpuPerRequest").EnumerateArray().ToList();
            Assert.All(costs, cost => Assert.False(string.IsNullOrEmpty(cost.GetProperty("process").GetString())));
            Assert.All(costs, cost => Assert.True(cost.GetProperty("microseconds").GetDouble() >= 0));
            Assert.Equal(Math.Round(costs.Sum(cost => cost.GetProperty("microseconds").GetDouble()), 0), endpoint.GetProperty("totalCpuPerRequest").GetDouble());
        }

        Assert.Contains("| Webhook | processor time per request at the highest sustained rate", run.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Time_to_ring_scenario_warms_up_then_times_every_caller_from_webhook_to_the_agents_call_and_costs_each_answered_call()
    {
        var ring = Report().GetProperty("timeToRing");

        var callers = ring.GetProperty("callers").GetInt32();
        Assert.True(callers > 0);
        Assert.True(ring.GetProperty("warmupCallers").GetInt32() > 0);
        Assert.Equal(callers, ring.GetProperty("rung").GetInt32());
        Assert.Equal(callers, ring.GetProperty("answered").GetInt32());
        Assert.Equal(callers, ring.GetProperty("timeToRing").GetProperty("count").GetInt32());
        AssertOrdered(ring.GetProperty("timeToRing"));
        var perSecond = ring.GetProperty("perSecond").EnumerateArray().ToList();
        Assert.NotEmpty(perSecond);
        Assert.Equal(callers, perSecond.Sum(second => second.GetProperty("count").GetInt32()));
        Assert.All(perSecond, AssertOrdered);
        // The services worked for the calls: a cost per answered call, the support line's no more than every process's.
        var supportLine = ring.GetProperty("supportLineCpuPerCall").GetDouble();
        Assert.InRange(supportLine, 0.1, ring.GetProperty("allCpuPerCall").GetDouble());
        // Less what it uses idle, never more than in all (the smoke size measures no idle: the two are the same there).
        Assert.InRange(ring.GetProperty("supportLineCpuPerCallBeyondIdle").GetDouble(), 0, supportLine);
        Assert.Contains("| Time to ring | processor time per answered call", run.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Portal_scenario_costs_each_call_beyond_what_the_signed_in_pages_cost_anyway()
    {
        var portal = Report().GetProperty("portal");

        // The smoke size signs in one number of agents; the full size compares few with many.
        var measured = Assert.Single(portal.GetProperty("runs").EnumerateArray());
        Assert.True(measured.GetProperty("signedIn").GetInt32() > 0);
        Assert.True(measured.GetProperty("calls").GetInt32() > 0);
        Assert.Equal(measured.GetProperty("calls").GetInt32(), measured.GetProperty("answered").GetInt32());
        Assert.True(measured.GetProperty("idleCpuSeconds").GetDouble() >= 0);
        Assert.True(measured.GetProperty("loadedCpuSeconds").GetDouble() > 0);
        Assert.Contains("| Portal |", run.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Full_flow_scenario_transfers_and_ends_every_call_and_reports_each_services_memory()
    {
        var flow = Report().GetProperty("fullFlow");

        // The smoke's two customers: one warm and one cold transfer to the next free colleague, each completed.
        var customers = flow.GetProperty("customers").GetInt32();
        Assert.True(customers > 0);
        Assert.Equal(customers, flow.GetProperty("completed").GetInt32());
        Assert.Equal((1, 1), (flow.GetProperty("plans").GetProperty("warm").GetInt32(), flow.GetProperty("plans").GetProperty("cold").GetInt32()));
        Assert.Equal(customers, flow.GetProperty("transfersAsked").GetInt32());
        Assert.Equal(customers, flow.GetProperty("transfersCompleted").GetInt32());
        Assert.Equal(0, flow.GetProperty("transfersCancelled").GetInt32());
        Assert.Equal(0, flow.GetProperty("ghostOffers").GetInt32());
        Assert.Equal(0, flow.GetProperty("lost").GetInt32());
        Assert.Equal(customers, flow.GetProperty("timeToFirstAnswer").GetProperty("count").GetInt32());
        Assert.Equal(customers, flow.GetProperty("timeToTransfer").GetProperty("count").GetInt32());
        AssertOrdered(flow.GetProperty("timeToFirstAnswer"));
        AssertOrdered(flow.GetProperty("timeToTransfer"));
        var services = flow.GetProperty("services").EnumerateArray().ToDictionary(m => m.GetProperty("service").GetString()!, m => m);
        foreach (var service in new[] { "webhookapi", "dialerworker", "agentportal", "twilio-emulator", "redis", "rabbitmq", "bench" })
        {
            Assert.True(services.TryGetValue(service, out var usage) && usage.GetProperty("peakMiB").GetDouble() > 1, $"no peak memory for {service}");
            Assert.True(usage.GetProperty("cpuSeconds").GetDouble() >= 0, $"{service} used {usage.GetProperty("cpuSeconds")} s of processor time");
        }

        // The calls kept the services busy.
        Assert.True(services["webhookapi"].GetProperty("cpuSeconds").GetDouble() > 0);
        Assert.Equal(2, services["dialerworker"].GetProperty("processes").GetInt32());
    }

    [Fact]
    public void Worker_scenario_drains_the_queued_dial_requests_with_two_workers()
    {
        var workers = Report().GetProperty("workers");

        // The smoke size starts one system, with two workers; the full size compares one worker with two.
        Assert.Equal([2], workers.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("workers").GetInt32()));
        Assert.All(workers.GetProperty("runs").EnumerateArray(), run =>
        {
            Assert.Equal(run.GetProperty("dialRequests").GetInt32(), run.GetProperty("dialed").GetInt32());
            Assert.True(run.GetProperty("dialsPerSecond").GetDouble() > 0);
            // What each process spent while the queue drained: the workers among them.
            Assert.Contains("dialerworker", run.GetProperty("services").EnumerateArray().Select(s => s.GetProperty("service").GetString()));
        });
        Assert.Contains("| Workers | 2 DialerWorkers: processor time used from letting them go to the last creation", run.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Chaos_scenario_keeps_every_invariant_and_reports_each_with_its_seed()
    {
        var chaos = Report().GetProperty("chaos");

        var summary = System.Text.RegularExpressions.Regex.Match(run.LastLine, $@"^chaos: (\d+) violations \(seed {BenchmarkSmokeRun.ChaosSeed}\)$");
        Assert.True(summary.Success, $"the last line is '{run.LastLine}'");
        Assert.Equal(BenchmarkSmokeRun.ChaosSeed, chaos.GetProperty("seed").GetInt32());
        Assert.True(chaos.GetProperty("customers").GetInt32() > 0);
        Assert.True(chaos.GetProperty("events").GetInt32() > 0);
        Assert.True(chaos.GetProperty("snapshots").GetInt32() > 0);
        var invariants = chaos.GetProperty("invariants").EnumerateArray().ToList();
        Assert.Equal(["I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8"], invariants.Select(i => i.GetProperty("id").GetString()));
        // Every promise holds under Twilio's real delivery, with agents whose pages and softphones come and go.
        Assert.All(invariants, invariant => Assert.True(invariant.GetProperty("count").GetInt32() == 0,
            $"{invariant.GetProperty("id").GetString()} broken {invariant.GetProperty("count").GetInt32()} times:\n{run.Output}"));
        var violations = invariants.Sum(i => i.GetProperty("count").GetInt32());
        Assert.Equal(violations, chaos.GetProperty("violations").GetInt32());
        Assert.Equal(violations.ToString(System.Globalization.CultureInfo.InvariantCulture), summary.Groups[1].Value);
        var actions = chaos.GetProperty("actions");
        Assert.True(actions.GetProperty("customer-called").GetInt32() > 0);
        Assert.True(actions.GetProperty("page-open").GetInt32() > 0);
        Assert.True(actions.GetProperty("softphone-registered").GetInt32() > 0);
        Assert.Equal(1, run.ChaosRecordings);
    }

    /// <summary>The run's results, once it is known to have completed; its output is this test's.</summary>
    private JsonElement Report()
    {
        output.WriteLine(run.Output);
        Assert.True(run.ExitCode == 0, $"the smoke run ended with {run.ExitCode} (-1: it ran over its time)");
        return run.Report!.Value;
    }

    private static void AssertOrdered(JsonElement percentiles)
    {
        var values = new[] { "p50", "p95", "p99", "max" }.Select(p => percentiles.GetProperty(p).GetDouble()).ToList();
        Assert.True(values[0] > 0, $"p50 is {values[0]}");
        Assert.Equal(values.Order(), values);
    }
}
