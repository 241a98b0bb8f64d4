namespace WarmTransfer.Benchmarks;

/// <summary>How much load each scenario applies: the full measurement, or a tiny run that only shows everything works.</summary>
public sealed record BenchSize(
    string Name,
    double WebhookWarmupRate, TimeSpan WebhookWarmup, IReadOnlyList<double> WebhookRates, TimeSpan WebhookStep, TimeSpan WebhookPause,
    double WebhookFixedRate, TimeSpan WebhookFixedDuration, int WebhookClaimAgents, int WebhookClaimWindows,
    double RingRate, TimeSpan RingWarmup, TimeSpan RingDuration,
    int FlowCustomers, int FlowAgents, double FlowArrivalRate, TimeSpan FlowTimeout, int? FlowCallsPerSecond, int FlowWrapUpSeconds,
    int WorkerDialRequests, IReadOnlyList<int> WorkerCounts,
    IReadOnlyList<int> PortalAgents, int PortalCalls, TimeSpan PortalCallDuration, TimeSpan PortalTalk, TimeSpan PortalWindow, int PortalRounds,
    int WarmupWaves, TimeSpan SettleTimeout, SystemSettings? SharedSystem)
{
    public static readonly BenchSize Full = new("full",
        WebhookWarmupRate: 200, WebhookWarmup: TimeSpan.FromSeconds(10),
        WebhookRates: [100, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000, 8000],
        WebhookStep: TimeSpan.FromSeconds(5), WebhookPause: TimeSpan.FromSeconds(2),
        WebhookFixedRate: 200, WebhookFixedDuration: TimeSpan.FromSeconds(10), WebhookClaimAgents: 250, WebhookClaimWindows: 4,
        RingRate: 50, RingWarmup: TimeSpan.FromSeconds(2), RingDuration: TimeSpan.FromSeconds(5),
        FlowCustomers: 2000, FlowAgents: 400, FlowArrivalRate: 50, FlowTimeout: TimeSpan.FromMinutes(15), FlowCallsPerSecond: null, FlowWrapUpSeconds: 2,
        WorkerDialRequests: 1000, WorkerCounts: [1, 2],
        PortalAgents: [40, 400], PortalCalls: 120, PortalCallDuration: TimeSpan.FromSeconds(12), PortalTalk: TimeSpan.FromSeconds(2), PortalWindow: TimeSpan.FromSeconds(15), PortalRounds: 3,
        WarmupWaves: 4, SettleTimeout: TimeSpan.FromSeconds(60), SharedSystem: null);

    public static readonly BenchSize Smoke = new("smoke",
        WebhookWarmupRate: 20, WebhookWarmup: TimeSpan.FromSeconds(0.5),
        WebhookRates: [20, 40], WebhookStep: TimeSpan.FromSeconds(0.5), WebhookPause: TimeSpan.FromMilliseconds(100),
        WebhookFixedRate: 20, WebhookFixedDuration: TimeSpan.FromSeconds(0.5), WebhookClaimAgents: 4, WebhookClaimWindows: 1,
        RingRate: 5, RingWarmup: TimeSpan.FromSeconds(0.4), RingDuration: TimeSpan.FromSeconds(1),
        // Its two customers' four agents each take one call: no wrap-up to wait for, and a budget the shared system has.
        FlowCustomers: 2, FlowAgents: 4, FlowArrivalRate: 4, FlowTimeout: TimeSpan.FromMinutes(2), FlowCallsPerSecond: BenchSystem.HighestBudget, FlowWrapUpSeconds: 0,
        WorkerDialRequests: 5, WorkerCounts: [2],
        PortalAgents: [4], PortalCalls: 2, PortalCallDuration: TimeSpan.FromSeconds(0.5), PortalTalk: TimeSpan.FromSeconds(1), PortalWindow: TimeSpan.FromSeconds(4), PortalRounds: 1,
        WarmupWaves: 1, SettleTimeout: TimeSpan.Zero,
        // One system for every scenario but chaos, whose system is broken on purpose; its workers dial as many at once as the
        // worker scenario has them dial, so that scenario shares it too.
        SharedSystem: new SystemSettings(BenchSystem.HighestBudget, Agents: 5, WithBaseline: true, DialsAtOnce: Scenarios.WorkerThroughputScenario.DialsAtOnce));
}
