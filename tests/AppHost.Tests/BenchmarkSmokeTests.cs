using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Xunit.Abstractions;

namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// Each benchmark scenario, run once at a tiny size through the benchmark command itself: it completes, writes its
/// results, and its numbers are sane. No timing is asserted: these machines measure nothing here.
/// </summary>
public sealed class BenchmarkSmokeTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    private readonly string _results = Path.Combine(Path.GetTempPath(), "warmtransfer-bench-smoke", Guid.NewGuid().ToString("N")[..12]);

    /// <summary>What the last run printed.</summary>
    private string _stdout = string.Empty;

    [Fact]
    public async Task Webhook_scenario_measures_WebhookApi_and_the_baseline_at_every_rate_it_tries()
    {
        var webhook = (await RunAsync("webhook")).GetProperty("webhook");

        foreach (var endpoint in new[] { webhook.GetProperty("baseline"), webhook.GetProperty("webhookApi") })
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
        }
    }

    [Fact]
    public async Task Time_to_ring_scenario_times_every_caller_from_webhook_to_the_agents_call()
    {
        var ring = (await RunAsync("ring")).GetProperty("timeToRing");

        Assert.True(ring.GetProperty("callers").GetInt32() > 0);
        Assert.Equal(ring.GetProperty("callers").GetInt32(), ring.GetProperty("rung").GetInt32());
        Assert.Equal(ring.GetProperty("callers").GetInt32(), ring.GetProperty("timeToRing").GetProperty("count").GetInt32());
        AssertOrdered(ring.GetProperty("timeToRing"));
    }

    [Fact]
    public async Task Full_flow_scenario_transfers_and_ends_every_call_and_reports_each_services_memory()
    {
        var flow = (await RunAsync("flow")).GetProperty("fullFlow");

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
    public async Task Worker_scenario_drains_the_queued_dial_requests_with_two_workers()
    {
        var workers = (await RunAsync("workers")).GetProperty("workers");

        // The smoke size starts one system, with two workers; the full size compares one worker with two.
        Assert.Equal([2], workers.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("workers").GetInt32()));
        Assert.All(workers.GetProperty("runs").EnumerateArray(), run =>
        {
            Assert.Equal(run.GetProperty("dialRequests").GetInt32(), run.GetProperty("dialed").GetInt32());
            Assert.True(run.GetProperty("dialsPerSecond").GetDouble() > 0);
        });
    }

    [Fact]
    public async Task Chaos_scenario_keeps_every_invariant_and_reports_each_with_its_seed()
    {
        var chaos = (await RunAsync("chaos", "--seed", "4242")).GetProperty("chaos");

        var lines = _stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var summary = System.Text.RegularExpressions.Regex.Match(lines[^1], @"^chaos: (\d+) violations \(seed 4242\)$");
        Assert.True(summary.Success, $"the last line is '{lines[^1]}'");
        Assert.Equal(4242, chaos.GetProperty("seed").GetInt32());
        Assert.True(chaos.GetProperty("customers").GetInt32() > 0);
        Assert.True(chaos.GetProperty("events").GetInt32() > 0);
        Assert.True(chaos.GetProperty("snapshots").GetInt32() > 0);
        var invariants = chaos.GetProperty("invariants").EnumerateArray().ToList();
        Assert.Equal(["I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8"], invariants.Select(i => i.GetProperty("id").GetString()));
        // Every promise holds under Twilio's real delivery, with agents whose pages and softphones come and go.
        Assert.All(invariants, invariant => Assert.True(invariant.GetProperty("count").GetInt32() == 0,
            $"{invariant.GetProperty("id").GetString()} broken {invariant.GetProperty("count").GetInt32()} times:\n{_stdout}"));
        var violations = invariants.Sum(i => i.GetProperty("count").GetInt32());
        Assert.Equal(violations, chaos.GetProperty("violations").GetInt32());
        Assert.Equal(violations.ToString(System.Globalization.CultureInfo.InvariantCulture), summary.Groups[1].Value);
        var actions = chaos.GetProperty("actions");
        Assert.True(actions.GetProperty("customer-called").GetInt32() > 0);
        Assert.True(actions.GetProperty("page-open").GetInt32() > 0);
        Assert.True(actions.GetProperty("softphone-registered").GetInt32() > 0);
        Assert.Single(Directory.EnumerateFiles(_results, "*-chaos-recording.json"));
    }

    /// <summary>Runs <c>bench --smoke --scenario …</c> and returns the JSON it wrote, after checking its Markdown.</summary>
    private async Task<JsonElement> RunAsync(string scenario, params string[] options)
    {
        var assembly = typeof(BenchmarkSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BenchmarksAssembly").Value!;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] arguments = [assembly, "--smoke", "--scenario", scenario, "--results", _results, .. options];
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
        }
        catch (OperationCanceledException)
        {
            bench.Kill(entireProcessTree: true);
            throw new TimeoutException($"the {scenario} smoke run took over {RunTimeout}");
        }
        finally
        {
            _stdout = await stdout;
            output.WriteLine(_stdout);
            output.WriteLine(await stderr);
        }

        Assert.Equal(0, bench.ExitCode);
        var markdown = File.ReadAllText(Directory.EnumerateFiles(_results, "*-smoke.md").Single());
        Assert.Contains("| Scenario | Measure | Result | Target |", markdown, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(Directory.EnumerateFiles(_results, "*-smoke.json").Single()));
        Assert.Equal("smoke", json.RootElement.GetProperty("size").GetString());
        return json.RootElement.Clone();
    }

    private static void AssertOrdered(JsonElement percentiles)
    {
        var values = new[] { "p50", "p95", "p99", "max" }.Select(p => percentiles.GetProperty(p).GetDouble()).ToList();
        Assert.True(values[0] > 0, $"p50 is {values[0]}");
        Assert.Equal(values.Order(), values);
    }

    public void Dispose()
    {
        if (Directory.Exists(_results))
        {
            Directory.Delete(_results, recursive: true);
        }
    }
}
