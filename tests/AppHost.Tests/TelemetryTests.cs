using Xunit.Abstractions;
using WarmTransfer.AppHost.Tests.Telemetry;

namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// What ops see in the dashboard's traces and structured logs: the services export to a receiver standing in for the
/// dashboard's, over OTLP as they do when the AppHost runs them.
/// </summary>
public sealed class TelemetryTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>
    /// How long the idle system is watched: every background loop runs in it at least twice (the slowest, the dialer's
    /// reconciliation, every 10 s).
    /// </summary>
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(25);

    /// <summary>How long an exported span may take to arrive (the services export every half second in this test).</summary>
    private static readonly TimeSpan ExportDelay = TimeSpan.FromSeconds(30);

    private static readonly string[] Services = ["webhookapi", "dialerworker", "agentportal", "twilio-emulator"];

    private readonly OtlpReceiver _receiver = OtlpReceiver.Start();
    private readonly string _dataDirectory = TestRun.NewDataDirectory();
    private DistributedApplication _app = null!;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(AppHostLauncher.StartTimeout);
        var builder = await AppHostLauncher.CreateBuilderAsync(_dataDirectory, RunMarker.New(TestRun.MarkerVariable), timeout.Token);
        foreach (var service in Services)
        {
            AppHostLauncher.SetEnvironment(builder, service, "OTEL_EXPORTER_OTLP_ENDPOINT", _receiver.Endpoint.ToString());
            AppHostLauncher.SetEnvironment(builder, service, "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
            AppHostLauncher.SetEnvironment(builder, service, "OTEL_SERVICE_NAME", service);
            AppHostLauncher.SetEnvironment(builder, service, "OTEL_BSP_SCHEDULE_DELAY", "500");
            AppHostLauncher.SetEnvironment(builder, service, "OTEL_BLRP_SCHEDULE_DELAY", "500");
        }

        _app = await AppHostLauncher.StartHealthyAsync(builder, timeout.Token);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _receiver.Dispose();
    }

    [Fact]
    public async Task Idle_the_services_trace_nothing_but_health_checks_and_one_call_is_found_by_its_CallSid_with_every_hop_linked()
    {
        // Idle: nothing but the background loops (outbox relay, timers, reconciliation, figures, wallboard) runs through the window.
        var idleFrom = DateTimeOffset.UtcNow;
        await Task.Delay(IdleWindow);
        var idleUntil = DateTimeOffset.UtcNow;
        // Spans of the idle window may still be on their way: the export of anything started in it has arrived once a span
        // started after it has (every service exports on the same schedule). A sign-in makes that later span.
        using var agent = await PortalClient.SignInAsync(_app, "agent1", "agent1-dev-password");
        await Eventually.HoldsAsync(() => _receiver.Spans.Any(s => s.Service == "agentportal" && s.Start > idleUntil)
            ? null : "no span after the idle window arrived", ExportDelay);
        var idle = _receiver.Spans.Where(s => s.Start >= idleFrom && s.Start < idleUntil && !IsHealthCheck(s)).ToList();
        Assert.True(idle.Count == 0, $"the idle system traced {idle.Count} spans:\n{string.Join("\n", idle.Take(20))}");

        // One call: the agent answers, the customer hangs up.
        using var emulator = EmulatorAdmin.For(_app);
        await emulator.AnswerAsAsync("agent1");
        await agent.GoAvailableAsync();
        var customer = await emulator.CallSupportLineAsync("+15557654100");
        await Eventually.HoldsAsync(async () => (await emulator.ParticipantsAsync(customer)).Length == 2 ? null : "agent1 did not take the call",
            ExportDelay);
        await emulator.HangUpAsync(customer);

        // Findable by its CallSid (the session id): the webhook that started it and the callbacks that moved it.
        IReadOnlyList<ExportedSpan> tagged = [];
        await Eventually.HoldsAsync(() =>
        {
            tagged = [.. _receiver.Spans.Where(s => s["warmtransfer.session"] == customer)];
            var missing = new[] { "/voice/incoming", "/voice/agent-join", "/voice/conference-events", "/voice/call-status" }
                .Where(path => !tagged.Any(s => s.Service == "webhookapi" && s.Kind == SpanKind.Server && s["url.path"] == path)).ToList();
            return missing.Count == 0 ? null : $"no span of {string.Join(", ", missing)} carries the session {customer}";
        }, ExportDelay);
        output.WriteLine($"Spans carrying the session: {tagged.Count} in {tagged.Select(s => s.TraceId).Distinct().Count()} traces");

        // The webhook's trace goes through RabbitMQ into the worker and on to its REST request that rang the agent.
        var incoming = tagged.Single(s => s["url.path"] == "/voice/incoming");
        IReadOnlyList<ExportedSpan> trace = [];
        await Eventually.HoldsAsync(() =>
        {
            trace = [.. _receiver.Spans.Where(s => s.TraceId == incoming.TraceId || s.LinkedTraceIds.Contains(incoming.TraceId))];
            return trace.Any(s => s.Service == "webhookapi" && s.Kind == SpanKind.Producer)
                && trace.Any(s => s.Service == "dialerworker" && s.Kind == SpanKind.Consumer)
                && trace.Any(s => s.Service == "dialerworker" && s.Kind == SpanKind.Client && (s["url.full"] ?? "").Contains("/Calls.json", StringComparison.Ordinal))
                ? null : $"the webhook's trace lacks the publish, the delivery or the REST call:\n{string.Join("\n", trace)}";
        }, ExportDelay);
        foreach (var span in trace.OrderBy(s => s.Start))
        {
            output.WriteLine(span.ToString());
        }

        // The structured logs of both services carry the session id.
        await Eventually.HoldsAsync(() =>
        {
            var services = _receiver.Logs.Where(l => l.Attributes.GetValueOrDefault("SessionId") == customer).Select(l => l.Service).ToHashSet();
            return services.IsSupersetOf(["webhookapi", "dialerworker"]) ? null
                : $"only [{string.Join(", ", services)}] logged with the session id";
        }, ExportDelay);
        Assert.Empty(_receiver.Errors);
    }

    private static bool IsHealthCheck(ExportedSpan span) => span["url.path"] is "/health" or "/alive";
}
