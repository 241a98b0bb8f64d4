using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using WarmTransfer.Benchmarks.Scenarios;
using WarmTransfer.Testing.Chaos;

namespace WarmTransfer.Benchmarks;

public sealed record MachineInfo(string Os, int Cores, double MemoryGiB, string Runtime)
{
    public static MachineInfo Current() => new(RuntimeInformation.OSDescription, Environment.ProcessorCount,
        Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024), 1), RuntimeInformation.FrameworkDescription);

    public override string ToString() => $"{Os}, {Cores} cores, {MemoryGiB} GiB, {Runtime}";
}

/// <summary>Everything one run measured; written as JSON and as a Markdown table.</summary>
public sealed record BenchReport(
    DateTimeOffset Started, string Size, MachineInfo Machine, double Seconds,
    WebhookResult? Webhook, TimeToRingResult? TimeToRing, FullFlowResult? FullFlow, WorkerThroughputResult? Workers, ChaosResult? Chaos = null,
    PortalResult? Portal = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"WarmTransfer benchmarks ({Size}), {Started:yyyy-MM-dd HH:mm} UTC, {Seconds:0} s: {Machine}.");
        text.AppendLine();
        text.AppendLine("| Scenario | Measure | Result | Target |");
        text.AppendLine("|---|---|---|---|");
        if (Webhook is { } webhook)
        {
            var limit = $"p99 < {webhook.P99LimitMs:0} ms";
            Row(text, "Webhook", $"highest sustained rate with {limit}: WebhookApi (no agent free: the caller waits in line)",
                $"{webhook.WebhookApi.SustainedRate:0} req/s", "");
            Row(text, "Webhook", $"highest sustained rate with {limit}: baseline Kestrel (fixed TwiML)", $"{webhook.Baseline.SustainedRate:0} req/s", "");
            Row(text, "Webhook", $"highest sustained rate with {limit}: checked baseline (Kestrel + form + signature check + TwiML)",
                $"{webhook.CheckedBaseline.SustainedRate:0} req/s", "");
            Row(text, "Webhook", "WebhookApi / baseline", $"{webhook.Ratio:P0}", Target(webhook.Ratio >= 0.5, "≥ 50%"));
            Row(text, "Webhook", "WebhookApi / checked baseline", $"{webhook.CheckedRatio:P0}", Target(webhook.CheckedRatio >= 0.8, "≥ 80%"));
            foreach (var endpoint in new[] { webhook.WebhookApi, webhook.Baseline, webhook.CheckedBaseline })
            {
                Row(text, "Webhook", $"processor time per request at the highest sustained rate ({endpoint.SustainedRate:0} req/s), every process: {endpoint.Endpoint}",
                    $"{endpoint.TotalCpuPerRequest:0} µs ({string.Join(", ", endpoint.CpuPerRequest.Where(p => p.Microseconds >= 1).Select(p => $"{p.Process} {p.Microseconds:0}"))}): " +
                    $"{Machine.Cores} cores answer at most {endpoint.CoresCeiling(Machine.Cores):0} req/s", "");
            }

            Row(text, "Webhook", $"WebhookApi at {webhook.FixedRate:0} req/s for {webhook.WebhookApi.AtFixedRate.Sent} requests, after a warm-up at that rate",
                Latency(webhook.WebhookApi.AtFixedRate),
                Target(webhook.WebhookApi.AtFixedRate.Latency.P99 < 5 && webhook.WebhookApi.AtFixedRate.Failed == 0, "p99 < 5 ms"));
            Row(text, "Webhook", "the same, each second: p50 / p99", PerSecond(webhook.WebhookApi.AtFixedRate), "");
            Row(text, "Webhook", $"WebhookApi claiming one of {webhook.ClaimingAgents} free agents and publishing the dial, at {webhook.FixedRate:0} req/s " +
                $"({webhook.Claiming.Sent} requests in windows as long as the agents last, after a warm-up window)", Latency(webhook.Claiming), "");
            Row(text, "Webhook", $"baseline at {webhook.FixedRate:0} req/s", Latency(webhook.Baseline.AtFixedRate), "");
            Row(text, "Webhook", $"checked baseline at {webhook.FixedRate:0} req/s", Latency(webhook.CheckedBaseline.AtFixedRate), "");
        }

        if (TimeToRing is { } ring)
        {
            Row(text, "Time to ring", $"{ring.CallsPerSecond:0} calls/s after {ring.WarmupCallers} warm-up calls at that rate, {ring.Callers} callers " +
                $"({ring.Rung} rung): webhook sent → agent's call created",
                ring.TimeToRing.Count == 0 ? "none rung" : $"p50 {ring.TimeToRing.P50:0.0} · p99 {ring.TimeToRing.P99:0.0} · max {ring.TimeToRing.Max:0.0} ms",
                Target(ring.TimeToRing.P99 <= 50 && ring.TimeToRing.P50 <= 10 && ring.Rung == ring.Callers, "p99 ≤ 50 ms, p50 ≤ 10 ms"));
            Row(text, "Time to ring", "each second's callers: p50 / p99",
                string.Join(" · ", ring.PerSecond.Select(p => $"{p.P50:0.0} / {p.P99:0.0}")) + " ms", "");
            Row(text, "Time to ring", $"processor time per answered call ({ring.Answered} answered, {ring.Seconds:0.0} s): the support line beyond what " +
                "it uses idle with the agents signed in / the support line in all / every process",
                $"{ring.SupportLineCpuPerCallBeyondIdle:0.0} / {ring.SupportLineCpuPerCall:0.0} / {ring.AllCpuPerCall:0.0} ms",
                Target(ring.SupportLineCpuPerCallBeyondIdle <= 15 && ring.Answered == ring.Callers, "≤ 15 ms"));
            Row(text, "Time to ring", $"processor time used, of {Machine.Cores * ring.Seconds:0.0} s on {Machine.Cores} cores", ProcessorTime(ring.Services, ring.Seconds), "");
            Row(text, "Time to ring", "what the support line uses idle with the agents signed in (measured before the warm-up), in cores",
                string.Join(", ", ring.IdleCores.Where(p => ServiceUsage.IsSupportLine(p.Key)).OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:0.00}")), "");
        }

        if (Portal is { } portal)
        {
            foreach (var run in portal.Runs)
            {
                Row(text, "Portal", $"{run.SignedIn} agents signed in, {run.Calls} calls answered ({run.Answered}) in {run.Rounds} windows, {run.WindowSeconds:0} s in all, " +
                    "each after one as long without calls: the portal's processor time with the calls, without, and per call (a handful of agent updates each)",
                    $"{run.LoadedCpuSeconds:0.00} s, {run.IdleCpuSeconds:0.00} s, {run.CpuPerCallMs:0.0} ms", "");
            }

            if (portal.Runs.Count > 1)
            {
                Row(text, "Portal", $"per call with {portal.Runs[^1].SignedIn} signed in / with {portal.Runs[0].SignedIn}", $"{portal.Ratio:0.00}×",
                    Target(portal.Ratio is > 0 and <= 1.25, "constant (≤ 1.25×)"));
            }
        }

        if (FullFlow is { } flow)
        {
            Row(text, "Full flow", $"{flow.Customers} customers, {flow.Agents} agents ({flow.WrapUpSeconds} s wrap-up), {flow.CallsPerSecondBudget} calls/s budget, {flow.Seconds:0} s",
                $"completed {flow.Completed}, lost {flow.Lost} (plans: {string.Join(", ", flow.Plans.Select(p => $"{p.Key} {p.Value}"))})",
                Target(flow.Lost == 0, "0 lost"));
            Row(text, "Full flow", "transfers to the next free colleague: asked / completed / cancelled by their owner (failed attempts, asked again)",
                $"{flow.TransfersAsked} / {flow.TransfersCompleted} / {flow.TransfersCancelled} ({flow.TransfersFailed})",
                Target(flow.TransfersAsked == flow.TransfersCompleted + flow.TransfersCancelled, "every asked transfer completes or is cancelled"));
            Row(text, "Full flow", "returned to the queue and served by the next agent", flow.Returned.ToString(CultureInfo.InvariantCulture), "");
            Row(text, "Full flow", $"calls reaching agents whose page had closed ({flow.GhostAgents} agents closed theirs for a while), withdrawn; callers' wait behind a ghost",
                $"{flow.GhostOffers}, {flow.GhostOffersWithdrawn} withdrawn; {flow.WaitBehindGhosts:0.0} s", Target(flow.WaitBehindGhosts == 0, "0 s"));
            Row(text, "Full flow", "time to first answer", Percentiles(flow.TimeToFirstAnswer), "");
            Row(text, "Full flow", "time to transfer (asked → the colleague has the customer)", Percentiles(flow.TimeToTransfer), "");
            Row(text, "Full flow", "peak memory (largest process of each service)",
                string.Join(", ", flow.Services.Select(m => $"{m.Service}{(m.Processes > 1 ? $" ({m.Processes} processes)" : "")} {m.PeakMiB:0} MiB")), "");
            Row(text, "Full flow", $"processor time used, of {Machine.Cores * flow.Seconds:0} s on {Machine.Cores} cores", ProcessorTime(flow.Services, flow.Seconds), "");
        }

        if (Workers is { } workers)
        {
            foreach (var run in workers.Runs)
            {
                Row(text, "Workers", $"{run.Workers} DialerWorker{(run.Workers > 1 ? "s" : "")}, {run.DialRequests} queued dial requests ({run.QueuedMessages} messages, {run.Dialed} dialed), " +
                    $"each call creation answered after {WorkerThroughputScenario.CreationLatency.TotalMilliseconds:0} ms, " +
                    $"{WorkerThroughputScenario.DialsAtOnce} dial requests at once per worker, warmed up",
                    $"{run.DialsPerSecond:0} dials/s", "");
                Row(text, "Workers", $"{run.Workers} DialerWorker{(run.Workers > 1 ? "s" : "")}: processor time used from letting them go to the last creation, " +
                    $"of {Machine.Cores * run.Seconds:0.0} s on {Machine.Cores} cores", ProcessorTime(run.Services, run.Seconds), "");
            }

            if (workers.Runs.Count > 1)
            {
                Row(text, "Workers", "two workers / one", $"{workers.Ratio:0.00}×", Target(workers.Ratio >= 1.9, "≥ 1.9×"));
            }
        }

        if (Chaos is { } chaos)
        {
            Row(text, "Chaos", $"seed {chaos.Seed}: {chaos.Agents} agents, {chaos.CallsPerSecond} calls/s for {chaos.Minutes:0.##} min " +
                $"(budget {chaos.CallsPerSecondBudget}/s), {chaos.Seconds:0} s", $"{chaos.Customers} customers ({chaos.CustomersHungUp} hung up), " +
                $"{chaos.Events} emulator events, {chaos.Snapshots} snapshots", "");
            Row(text, "Chaos", $"processor time used, of {Machine.Cores * chaos.Seconds:0} s on {Machine.Cores} cores", ProcessorTime(chaos.Services, chaos.Seconds), "");
            foreach (var invariant in chaos.Invariants)
            {
                var examples = invariant.Examples.Select(e => e.CallSid ?? e.AgentId ?? $"{e.At:HH:mm:ss}");
                Row(text, "Chaos", $"{invariant.Id}: it never happens that {invariant.Rule}",
                    invariant.Count == 0 ? "0" : $"{invariant.Count} ({string.Join(", ", examples)}{(invariant.Count > invariant.Examples.Count ? ", …" : "")})",
                    Target(invariant.Count == 0, "0"));
            }

            ChaosDetails(text, chaos);
        }

        return text.ToString();
    }

    /// <summary>Below the table: what the run could not do, and the first examples of each broken invariant with their timelines.</summary>
    private void ChaosDetails(StringBuilder text, ChaosResult chaos)
    {
        if (chaos.Notes.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Chaos run notes:");
            foreach (var note in chaos.Notes)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            }
        }

        foreach (var invariant in chaos.Invariants.Where(i => i.Count > 0))
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"{invariant.Id} ({invariant.Count}): it never happens that {invariant.Rule}");
            foreach (var example in invariant.Examples)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {example.CallSid ?? example.AgentId} at +{(example.At - chaos.Started).TotalSeconds:0.0} s: {example.What}");
                foreach (var line in example.Timeline)
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"      {line}");
                }
            }
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Replay: bench/run.sh{(Size == BenchSize.Smoke.Name ? " --smoke" : "")} --scenario chaos " +
            $"--seed {chaos.Seed} --minutes {chaos.Minutes:0.####} --agents {chaos.Agents} --calls-per-second {chaos.CallsPerSecond}" +
            $"{(chaos.Settings.Clusters ? " --clusters" : string.Empty)}");
    }

    private static string Latency(LoadResult result) =>
        $"p50 {result.Latency.P50:0.00} · p95 {result.Latency.P95:0.00} · p99 {result.Latency.P99:0.00} · max {result.Latency.Max:0.00} ms" +
        (result.Failed > 0 ? $", {result.Failed} failed" : "");

    private static string PerSecond(LoadResult result) =>
        string.Join(" · ", result.PerSecond.Select(p => $"{p.P50:0.0} / {p.P99:0.0}")) + " ms";

    private static string Percentiles(Percentiles p) =>
        p.Count == 0 ? "no samples" : $"p50 {p.P50 / 1000:0.00} · p99 {p.P99 / 1000:0.00} s ({p.Count} calls)";

    /// <summary>
    /// Each service's processor time, and the headroom the support line left: every service but Twilio's stand-in and the
    /// benchmark's own driver, which a real deployment does not run.
    /// </summary>
    private string ProcessorTime(IReadOnlyList<ServiceUsage> services, double seconds)
    {
        var system = services.Where(s => ServiceUsage.IsSupportLine(s.Service)).Sum(s => s.CpuSeconds);
        var headroom = seconds > 0 ? 1 - system / (Machine.Cores * seconds) : 0;
        return string.Join(", ", services.Where(s => s.CpuSeconds >= 0.05).OrderByDescending(s => s.CpuSeconds).Select(s => $"{s.Service} {s.CpuSeconds:0.0} s")) +
            $"; the support line left {headroom:0%} of the cores (emulator and bench not counted)";
    }

    private static string Target(bool met, string target) => $"{target} {(met ? "✓" : "✗")}";

    private static void Row(StringBuilder text, string scenario, string measure, string result, string target) =>
        text.AppendLine(CultureInfo.InvariantCulture, $"| {scenario} | {measure} | {result} | {target} |");
}
