using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using WarmTransfer.CallCenter;

namespace WarmTransfer.Benchmarks;

/// <summary>How the system is started for one scenario.</summary>
/// <param name="CallsPerSecond">The account's calls-per-second budget the dialer keeps to; null for the AppHost's own.</param>
/// <param name="Agents">Headless agents added to the portal's directory: bench001, bench002, …</param>
/// <param name="WorkersStartedLater">The DialerWorker replicas wait for <see cref="BenchSystem.StartWorkersAsync"/>.</param>
/// <param name="WithBaseline">Also run the baseline: Kestrel answering fixed TwiML with no work.</param>
public sealed record SystemSettings(
    int? CallsPerSecond, int Agents, int WorkerReplicas = 2, bool WorkersStartedLater = false, bool WithBaseline = false);

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
    private const string ResourceVariable = "WARMTRANSFER_BENCH_RESOURCE";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly string _dataDirectory;
    private readonly string _marker;

    private readonly StrongBox<int> _callsPerSecondBudget;

    private BenchSystem(DistributedApplication app, string dataDirectory, string marker, string authToken, StrongBox<int> callsPerSecondBudget)
    {
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

    public static IReadOnlyList<string> AgentIds(int count) =>
        [.. Enumerable.Range(1, count).Select(i => $"bench{i:000}")];

    public static async Task<BenchSystem> StartAsync(SystemSettings settings, CancellationToken cancellationToken)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "warmtransfer-bench", Guid.NewGuid().ToString("N")[..12]);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--Infrastructure:Mode=local", $"--Infrastructure:DataDirectory={dataDirectory}",
             .. settings.CallsPerSecond is { } callsPerSecond ? [$"--Dialer:CallsPerSecond={callsPerSecond.ToString(CultureInfo.InvariantCulture)}"] : Array.Empty<string>()],
            (options, _) => options.DisableDashboard = true,
            timeout.Token);
        // The resources' logs are not the bench's output: only failures reach its console.
        builder.Configuration["Logging:LogLevel:Default"] = "Error";
        builder.Configuration["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks"] = "None";

        if (settings.WithBaseline)
        {
            var benchAssembly = typeof(BenchSystem).Assembly.Location;
            builder.AddExecutable(BaselineResource, "dotnet", Path.GetDirectoryName(benchAssembly)!, benchAssembly, BaselineServer.Command)
                .WithHttpEndpoint(env: BaselineServer.PortVariable)
                .WithHttpHealthCheck("/health");
        }

        var marker = Guid.NewGuid().ToString("N");
        foreach (var resource in builder.Resources.OfType<IResourceWithEnvironment>())
        {
            resource.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
            {
                context.EnvironmentVariables[MarkerVariable] = marker;
                context.EnvironmentVariables[ResourceVariable] = resource.Name;
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
        if (settings.WorkersStartedLater)
        {
            worker.Annotations.Add(new ExplicitStartupAnnotation());
        }

        var passwordHash = AgentPasswords.Hash(AgentPassword);
        var agents = AgentIds(settings.Agents);
        builder.Resources.Single(r => r.Name == "agentportal").Annotations.Add(new EnvironmentCallbackAnnotation(context =>
        {
            // After the three development agents (entries 0 to 2).
            for (var i = 0; i < agents.Count; i++)
            {
                context.EnvironmentVariables[$"Agents__Directory__{i + 3}__Id"] = agents[i];
                context.EnvironmentVariables[$"Agents__Directory__{i + 3}__DisplayName"] = $"Bench agent {i + 1}";
                context.EnvironmentVariables[$"Agents__Directory__{i + 3}__PasswordHash"] = passwordHash;
            }

            return Task.CompletedTask;
        }));

        var app = await builder.BuildAsync(timeout.Token);
        try
        {
            await app.StartAsync(timeout.Token);
            var model = app.Services.GetRequiredService<DistributedApplicationModel>();
            await Task.WhenAll(model.Resources
                .Where(r => r is ExecutableResource or ProjectResource && !r.TryGetAnnotationsOfType<ExplicitStartupAnnotation>(out _))
                .Select(r => app.ResourceNotifications.WaitForResourceHealthyAsync(r.Name, timeout.Token)));
            var authToken = await model.Resources.OfType<ParameterResource>().Single(p => p.Name == "twilio-auth-token")
                .GetValueAsync(timeout.Token);
            return new BenchSystem(app, dataDirectory, marker, authToken!, budget);
        }
        catch
        {
            await app.DisposeAsync();
            DeleteDirectory(dataDirectory);
            throw;
        }
    }

    /// <summary>Starts every DialerWorker replica held back by <see cref="SystemSettings.WorkersStartedLater"/>.</summary>
    public async Task StartWorkersAsync(CancellationToken cancellationToken)
    {
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        var worker = App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "dialerworker");
        // Every replica.
        var result = await commands.ExecuteCommandAsync(worker, KnownResourceCommands.StartCommand, cancellationToken);
        if (!result.Success)
        {
            throw new InvalidOperationException($"DialerWorker did not start: {result.Message}");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("dialerworker", timeout.Token);
    }

    /// <summary>
    /// Each service's peak resident memory so far (its largest process) and the processor time it used, with the bench's
    /// own (load generator and headless agents) as <c>bench</c>.
    /// </summary>
    public IReadOnlyList<ServiceUsage> Usage() =>
    [
        .. ServiceProcesses.Usage(MarkerVariable, _marker, ResourceVariable, _dataDirectory),
        BenchUsage(),
    ];

    private static ServiceUsage BenchUsage()
    {
        using var bench = System.Diagnostics.Process.GetCurrentProcess();
        return new ServiceUsage("bench", Math.Round(bench.PeakWorkingSet64 / (1024.0 * 1024), 1), Math.Round(bench.TotalProcessorTime.TotalSeconds, 2), 1);
    }

    private Uri Endpoint(string resource)
    {
        using var http = App.CreateHttpClient(resource);
        return http.BaseAddress!;
    }

    /// <summary>Stops everything and waits until every process of this system is gone, so the next scenario starts quiet.</summary>
    public async ValueTask DisposeAsync()
    {
        Emulator.Dispose();
        await App.DisposeAsync();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (ServiceProcesses.AnyAlive(MarkerVariable, _marker, ResourceVariable, _dataDirectory) && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        DeleteDirectory(_dataDirectory);
    }

    private static void DeleteDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
