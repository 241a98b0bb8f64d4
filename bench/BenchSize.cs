namespace WarmTransfer.Benchmarks;

/// <summary>How much load each scenario applies: the full measurement, or a tiny run that only shows everything works.</summary>
public sealed record BenchSize(
    string Name,
    double WebhookWarmupRate, TimeSpan WebhookWarmup, IReadOnlyList<double> WebhookRates, TimeSpan WebhookStep, TimeSpan WebhookPause,
    double WebhookFixedRate, TimeSpan WebhookFixedDuration,
    double RingRate, TimeSpan RingDuration,
    int FlowCustomers, int FlowAgents, double FlowArrivalRate, TimeSpan FlowTimeout,
    int WorkerDialRequests, IReadOnlyList<int> WorkerCounts)
{
    public static readonly BenchSize Full = new("full",
        WebhookWarmupRate: 200, WebhookWarmup: TimeSpan.FromSeconds(10),
        WebhookRates: [100, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000, 8000],
        WebhookStep: TimeSpan.FromSeconds(5), WebhookPause: TimeSpan.FromSeconds(2),
        WebhookFixedRate: 200, WebhookFixedDuration: TimeSpan.FromSeconds(10),
        RingRate: 50, RingDuration: TimeSpan.FromSeconds(5),
        FlowCustomers: 200, FlowAgents: 40, FlowArrivalRate: 50, FlowTimeout: TimeSpan.FromMinutes(10),
        WorkerDialRequests: 250, WorkerCounts: [1, 2]);

    public static readonly BenchSize Smoke = new("smoke",
        WebhookWarmupRate: 20, WebhookWarmup: TimeSpan.FromSeconds(0.5),
        WebhookRates: [20, 40], WebhookStep: TimeSpan.FromSeconds(0.5), WebhookPause: TimeSpan.FromMilliseconds(100),
        WebhookFixedRate: 20, WebhookFixedDuration: TimeSpan.FromSeconds(0.5),
        RingRate: 5, RingDuration: TimeSpan.FromSeconds(1),
        FlowCustomers: 2, FlowAgents: 4, FlowArrivalRate: 4, FlowTimeout: TimeSpan.FromMinutes(2),
        WorkerDialRequests: 10, WorkerCounts: [2]);
}
