using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using WarmTransfer.CallCenter;

namespace WarmTransfer.Benchmarks;

/// <summary>How the system is started for one scenario.</summary>
/// <param name="CallsPerSecond">The account's calls-per-second budget the dialer keeps to; null for the AppHost's own.</param>
/// <param name="Agents">Headless agents added to the portal's directory: bench001, bench002, …</param>
/// <param name="WithBaseline">Also run the baseline: Kestrel answering fixed TwiML with no work.</param>
/// <param name="RingTimeoutSeconds">How long an agent's softphone rings before the call counts as not answered; null for the dialer's own.</param>
/// <param name="TokenLifetime">How long the portal's softphone tokens live; null for the portal's own.</param>
/// <param name="WrapUpSeconds">Every headless agent's wrap-up after a call (0: none, for scenarios that measure one path only).</param>
public sealed record SystemSettings(
    int? CallsPerSecond, int Agents, int WorkerReplicas = 2, bool WithBaseline = false,
    int? RingTimeoutSeconds = null, TimeSpan? TokenLifetime = null, int WrapUpSeconds = 0, int? DialsAtOnce = null, bool Clusters = false);

/// <summary>
/// The whole system as the AppHost starts it — emulator, Redis, RabbitMQ, WebhookApi, DialerWorker, AgentPortal — in a
/// data folder of its own, for one scenario; disposed, everything stops and the folder goes.
/// </summary>
public sealed class BenchSystem : IAsyncDisposable
{
    public const string AgentPassword = "bench-agent-password";
    public const string BaselineResource = "baseline-twiml";

    /// <summary>The highest calls-per-second budget the dialer accepts: far above what these scenarios offer.</summary>
    public const int HighestBudget = 1000;

    private const string MarkerVariable = "WARMTRANSFER_BENCH_RUN";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly string _dataDirectory;
    private readonly RunMarker _marker;

    private readonly StrongBox<int> _callsPerSecondBudget;

    private readonly int _workerReplicas;

    private BenchSystem(
        DistributedApplication app, string dataDirectory, RunMarker marker, string authToken, StrongBox<int> callsPerSecondBudget, int workerReplicas)
    {
        _workerReplicas = workerReplicas;
        _callsPerSecondBudget = callsPerSecondBudget;
        App = app;
        _dataDirectory = dataDirectory;
        _marker = marker;
        AuthToken = authToken;
        Emulator = new EmulatorAdmin(app.CreateHttpClient("twilio-emulator"));
    }

    public DistributedApplication App { get; }

    /// <summary>The calls-per-second budget the dialer was given (once started).</summary>
    public int CallsPerSecondBudget => _callsPerSecondBudget.Value;

    public EmulatorAdmin Emulator { get; }

    /// <summary>The auth token the emulator signs webhooks with and WebhookApi checks.</summary>
    public string AuthToken { get; }

    public Uri WebhookApi => Endpoint("webhookapi");

    public Uri Portal => Endpoint("agentportal");

    public Uri Baseline => Endpoint(BaselineResource);

    /// <summary>The local Redis Cluster and RabbitMQ cluster, and three replicas of the webhook and the portal (the workers' count is the settings').</summary>
    private static readonly string[] ClusterArguments =
        ["--Infrastructure:Redis=cluster", "--Infrastructure:RabbitMQ=cluster", "--Replicas:WebhookApi=3", "--Replicas:AgentPortal=3"];

    public static IReadOnlyList<string> AgentIds(int count) =>
        [.. Enumerable.Range(1, count).Select(i => $"bench{i:000}")];

    public static async Task<BenchSystem> StartAsync(SystemSettings settings, CancellationToken cancellationToken)
    {
        var dataDirectory = AppHostLauncher.NewDataDirectory("warmtransfer-bench");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var marker = RunMarker.New(MarkerVariable);
        var builder = await AppHostLauncher.CreateBuilderAsync(dataDirectory, marker, timeout.Token,
            [
                .. settings.CallsPerSecond is { } callsPerSecond ? [$"--Dialer:CallsPerSecond={callsPerSecond.ToString(CultureInfo.InvariantCulture)}"] : Array.Empty<string>(),
                .. settings.Clusters ? ClusterArguments : [],
            ]);
        // The resources' logs are not the bench's output: only failures reach its console.
        builder.Configuration["Logging:LogLevel:Default"] = "Error";
        builder.Configuration["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks"] = "None";

        if (settings.WithBaseline)
        {
            var benchAssembly = typeof(BenchSystem).Assembly.Location;
            var authToken = builder.Resources.OfType<ParameterResource>().Single(p => p.Name == "twilio-auth-token");
            builder.AddExecutable(BaselineResource, "dotnet", Path.GetDirectoryName(benchAssembly)!, benchAssembly, BaselineServer.Command)
                .WithHttpEndpoint(env: BaselineServer.PortVariable)
                .WithEnvironment(BaselineServer.AuthTokenVariable, builder.CreateResourceBuilder(authToken))
                .WithHttpHealthCheck("/health");
        }

        foreach (var resource in builder.Resources.OfType<IResourceWithEnvironment>())
        {
            resource.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
            {
                // The baseline is added after the launcher marked the AppHost's resources.
                context.EnvironmentVariables[marker.Variable] = marker.Value;
                context.EnvironmentVariables[AppHostLauncher.ResourceVariable] = resource.Name;
                // No dashboard runs here to receive telemetry: the services record it but export nothing, rather than
                // retry a collector that is not there. What is measured is the system, not a dashboard sharing its cores.
                context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
                return Task.CompletedTask;
            }));
        }

        var worker = (IResourceWithEnvironment)builder.Resources.Single(r => r.Name == "dialerworker");
        foreach (var replicas in worker.Annotations.OfType<ReplicaAnnotation>().ToList())
        {
            worker.Annotations.Remove(replicas);
        }

        worker.Annotations.Add(new ReplicaAnnotation(settings.WorkerReplicas));
        // Read after the AppHost's own callbacks set it: the budget the workers were given.
        var budget = new StrongBox<int>();
        worker.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
        {
            budget.Value = int.Parse((string)context.EnvironmentVariables["Dialer__CallsPerSecond"], CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        }));
        if (settings.RingTimeoutSeconds is { } ringTimeout)
        {
            AppHostLauncher.SetEnvironment(builder, "dialerworker", "Dialer__RingTimeoutSeconds", ringTimeout.ToString(CultureInfo.InvariantCulture));
        }

        if (settings.DialsAtOnce is { } dialsAtOnce)
        {
            AppHostLauncher.SetEnvironment(builder, "dialerworker", "Dialer__DialsAtOnce", dialsAtOnce.ToString(CultureInfo.InvariantCulture));
        }

        if (settings.TokenLifetime is { } tokenLifetime)
        {
            AppHostLauncher.SetEnvironment(builder, "agentportal", "Portal__TokenLifetime", tokenLifetime.ToString("c", CultureInfo.InvariantCulture));
        }

        // Every headless agent signs in from the bench's one address, hundreds at once: more than an office's shift start.
        AppHostLauncher.SetEnvironment(builder, "agentportal", "Portal__SignIn__AddressBurst", "100000");

        AppHostLauncher.AddPortalAgents(builder, AgentIds(settings.Agents), i => $"Bench agent {i + 1}", AgentPasswords.Hash(AgentPassword),
            _ => settings.WrapUpSeconds);

        try
        {
            var app = await AppHostLauncher.StartHealthyAsync(builder, timeout.Token);
            try
            {
                return new BenchSystem(app, dataDirectory, marker, await AppHostLauncher.AuthTokenAsync(app, timeout.Token), budget, settings.WorkerReplicas);
            }
            catch
            {
                await app.DisposeAsync();
                throw;
            }
        }
        catch
        {
            AppHostLauncher.DeleteDataDirectory(dataDirectory);
            throw;
        }
    }

    /// <summary>Stops every DialerWorker replica and waits until each has exited: what reaches the dial queue now stays there.</summary>
    public Task StopWorkersAsync(CancellationToken cancellationToken) =>
        CommandWorkersAsync(KnownResourceCommands.StopCommand, "exited",
            snapshot => snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state), cancellationToken);

    /// <summary>Starts every DialerWorker replica again and waits until each is running and healthy.</summary>
    public Task StartWorkersAsync(CancellationToken cancellationToken) =>
        CommandWorkersAsync(KnownResourceCommands.StartCommand, "running and healthy",
            snapshot => snapshot.State?.Text == KnownResourceStates.Running && snapshot.HealthStatus == HealthStatus.Healthy, cancellationToken);

    /// <summary>Runs the command on every DialerWorker replica, then waits until each replica's state is the one wanted.</summary>
    private async Task CommandWorkersAsync(string command, string wanted, Func<CustomResourceSnapshot, bool> reached, CancellationToken cancellationToken)
    {
        var worker = App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "dialerworker");
        var result = await App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(worker, command, cancellationToken);
        if (!result.Success)
        {
            throw new InvalidOperationException($"DialerWorker did not take the {command} command: {result.Message}");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var replicas = new Dictionary<string, bool>(StringComparer.Ordinal);
        try
        {
            await foreach (var update in App.ResourceNotifications.WatchAsync(timeout.Token))
            {
                if (update.Resource.Name != worker.Name)
                {
                    continue;
                }

                replicas[update.ResourceId] = reached(update.Snapshot);
                if (replicas.Values.Count(done => done) >= _workerReplicas)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the DialerWorker replicas were not all {wanted} within {StartTimeout.TotalMinutes} min: {string.Join(", ", replicas)}");
        }
    }

    /// <summary>
    /// The cores the services use doing nothing but their idle work (timers, signed-in agents' heartbeats): the least of three
    /// two-second samples, so that what is still settling from before does not count.
    /// </summary>
    public async Task<double> IdleCoresAsync(TimeSpan settleTimeout, CancellationToken cancellationToken) =>
        ServicesIdle(await IdleCoresByProcessAsync(settleTimeout, cancellationToken));

    /// <summary>The services' share of <see cref="IdleCoresByProcessAsync"/>: every process's but the bench's.</summary>
    public static double ServicesIdle(IReadOnlyDictionary<string, double> idleCores) => idleCores.Where(p => p.Key != "bench").Sum(p => p.Value);

    /// <summary>As <see cref="IdleCoresAsync"/>, for each service (and the bench) apart: the least of its three samples.</summary>
    public async Task<IReadOnlyDictionary<string, double>> IdleCoresByProcessAsync(TimeSpan settleTimeout, CancellationToken cancellationToken)
    {
        var least = new Dictionary<string, double>(StringComparer.Ordinal);
        if (settleTimeout <= TimeSpan.Zero)
        {
            // Nothing will wait to settle (the smoke size).
            return least;
        }

        var interval = TimeSpan.FromSeconds(2);
        var before = Usage();
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(interval, cancellationToken);
            var after = Usage();
            foreach (var used in ServiceUsage.Between(before, after))
            {
                var cores = used.CpuSeconds / interval.TotalSeconds;
                least[used.Service] = least.TryGetValue(used.Service, out var known) ? Math.Min(known, cores) : cores;
            }

            before = after;
        }

        return least;
    }

    /// <summary>
    /// Waits until the services have settled after what came before (tiered compilation finishing in the background, timers
    /// catching up): over two seconds, less than a tenth of a core above <paramref name="idleCores"/> (what signed-in agents'
    /// heartbeats cost with no call), or <paramref name="timeout"/>. Returns how long it took.
    /// </summary>
    public async Task<TimeSpan> QuietAsync(TimeSpan timeout, double idleCores, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(2);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var before = Services(Usage());
        while (System.Diagnostics.Stopwatch.GetElapsedTime(started) < timeout)
        {
            await Task.Delay(interval, cancellationToken);
            var after = Services(Usage());
            if ((after - before) / interval.TotalSeconds < idleCores + 0.1)
            {
                break;
            }

            before = after;
        }

        return System.Diagnostics.Stopwatch.GetElapsedTime(started);
    }

    private static double Services(IReadOnlyList<ServiceUsage> usage) => usage.Where(s => s.Service != "bench").Sum(s => s.CpuSeconds);

    /// <summary>
    /// Each service's peak resident memory so far (its largest process) and the processor time it used, with the bench's
    /// own (load generator and headless agents) as <c>bench</c>.
    /// </summary>
    public IReadOnlyList<ServiceUsage> Usage() =>
    [
        .. ServiceProcesses.Usage(_marker, _dataDirectory),
        BenchUsage(),
    ];

    private static ServiceUsage BenchUsage()
    {
        using var bench = System.Diagnostics.Process.GetCurrentProcess();
        return new ServiceUsage("bench", Math.Round(bench.PeakWorkingSet64 / (1024.0 * 1024), 1), Math.Round(bench.TotalProcessorTime.TotalSeconds, 2), 1);
    }

    private Uri Endpoint(string resource) => AppHostLauncher.Endpoint(App, resource);

    /// <summary>Stops everything and waits until every process of this system is gone, so the next scenario starts quiet.</summary>
    public async ValueTask DisposeAsync()
    {
        Emulator.Dispose();
        await App.DisposeAsync();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (ServiceProcesses.AnyAlive(_marker, _dataDirectory) && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        AppHostLauncher.DeleteDataDirectory(_dataDirectory);
    }
}
