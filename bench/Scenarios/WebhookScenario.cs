namespace WarmTransfer.Benchmarks.Scenarios;

/// <param name="SustainedRate">The highest rate of the ladder answered in full with p99 under the limit (0: none).</param>
/// <param name="Ladder">Every rate tried, lowest first, up to the second in a row not sustained.</param>
/// <param name="AtFixedRate">A longer run at the fixed comparison rate.</param>
public sealed record EndpointResult(string Endpoint, double SustainedRate, IReadOnlyList<LoadResult> Ladder, LoadResult AtFixedRate, int TwimlBytes);

/// <param name="Ratio">WebhookApi's sustained rate over the baseline's.</param>
public sealed record WebhookResult(double P99LimitMs, double FixedRate, EndpointResult Baseline, EndpointResult WebhookApi, double Ratio);

/// <summary>
/// Signed incoming-call webhooks at rising rates against WebhookApi, and the same against the baseline (Kestrel answering
/// the same TwiML with no work) in the same run: the highest rate each sustains with p99 under 10 ms, and the
/// percentiles of both at a fixed 200 requests a second.
/// </summary>
public sealed class WebhookScenario(BenchSize size)
{
    public const string Name = "webhook";
    private static readonly TimeSpan P99Limit = TimeSpan.FromMilliseconds(10);

    public async Task<WebhookResult> RunAsync(CancellationToken cancellationToken)
    {
        Progress.Report(Name, "starting the system and the baseline");
        await using var system = await BenchSystem.StartAsync(new SystemSettings(CallsPerSecond: null, Agents: 0, WithBaseline: true), cancellationToken);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            Timeout = TimeSpan.FromSeconds(15),
        };

        // The same signed webhooks to both: the baseline ignores what WebhookApi checks.
        var baseline = await MeasureAsync("baseline", new IncomingCallWebhook(system.Baseline, system.AuthToken), http, cancellationToken);
        var webhooks = await MeasureAsync("webhookapi", new IncomingCallWebhook(system.WebhookApi, system.AuthToken), http, cancellationToken);
        return new WebhookResult(P99Limit.TotalMilliseconds, size.WebhookFixedRate, baseline, webhooks,
            baseline.SustainedRate > 0 ? Math.Round(webhooks.SustainedRate / baseline.SustainedRate, 3) : 0);
    }

    private async Task<EndpointResult> MeasureAsync(string endpoint, IncomingCallWebhook webhook, HttpClient http, CancellationToken cancellationToken)
    {
        var twimlBytes = 0;
        async Task<bool> SendAsync(long i, CancellationToken ct)
        {
            using var request = webhook.Create(IncomingCallWebhook.NewCallSid(), IncomingCallWebhook.Number(i));
            using var response = await http.SendAsync(request, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            twimlBytes = body.Length;
            return response.IsSuccessStatusCode && body.Length > 0;
        }

        // Connections opened and code paths warmed, and the system's start settled, before anything counts.
        await OpenLoop.RunAsync(size.WebhookWarmupRate, size.WebhookWarmup, SendAsync, cancellationToken);
        await Task.Delay(size.WebhookPause, cancellationToken);

        var ladder = new List<LoadResult>();
        foreach (var rate in size.WebhookRates)
        {
            var result = await OpenLoop.RunAsync(rate, size.WebhookStep, SendAsync, cancellationToken);
            ladder.Add(result);
            var sustained = result.Sustains(P99Limit);
            Progress.Report(Name, $"{endpoint,-10} {rate,6} req/s: answered {result.AchievedRate} req/s, failed {result.Failed}, {result.Latency}{(sustained ? "" : "  (not sustained)")}");
            // One step can miss by a hiccup of the machine; two in a row is the limit.
            if (!sustained && ladder.Count > 1 && !ladder[^2].Sustains(P99Limit))
            {
                break;
            }

            await Task.Delay(size.WebhookPause, cancellationToken);
        }

        await Task.Delay(size.WebhookPause, cancellationToken);
        var fixedRate = await OpenLoop.RunAsync(size.WebhookFixedRate, size.WebhookFixedDuration, SendAsync, cancellationToken);
        Progress.Report(Name, $"{endpoint,-10} at {size.WebhookFixedRate} req/s for {size.WebhookFixedDuration.TotalSeconds} s: failed {fixedRate.Failed}, {fixedRate.Latency}");
        var best = ladder.Where(r => r.Sustains(P99Limit)).Select(r => r.TargetRate).DefaultIfEmpty(0).Max();
        return new EndpointResult(endpoint, best, ladder, fixedRate, twimlBytes);
    }
}
