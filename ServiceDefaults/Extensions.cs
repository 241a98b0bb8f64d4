using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every WarmTransfer service shares: OpenTelemetry over OTLP, health endpoints,
/// service discovery and standard HTTP resilience.
/// </summary>
public static class Extensions
{
    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";

    /// <summary>Meters and activity sources of WarmTransfer itself; every service exports them.</summary>
    public const string TelemetrySourceName = "WarmTransfer";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    /// <summary>Whether an OTLP endpoint (the Aspire dashboard, a collector) receives this service's telemetry.</summary>
    public static bool ExportsTelemetry(this IHostApplicationBuilder builder) =>
        !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    /// <summary>
    /// Logs, metrics and traces over OTLP when an endpoint is configured. Without one nothing is recorded for an exporter that
    /// is not there: no log records, no metrics, and traces only carried along (each hop still passes the trace id on to the
    /// next, so a collector added later sees whole traces), not recorded.
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var exporting = builder.ExportsTelemetry();
        // Every log reaches the dashboard's structured logs through OpenTelemetry; the console shows warnings and errors.
        // Writing each call's information lines to the console too cost a webhook more than its Redis work: the console
        // logger's one writer held every request thread behind its queue (measured with bench/run.sh).
        // They go to standard error, which the dashboard shows as errors and the tests' and benchmarks' consoles pass on.
        builder.Logging.AddFilter<ConsoleLoggerProvider>(level => level >= LogLevel.Warning);
        builder.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Warning);
        var telemetry = builder.Services.AddOpenTelemetry();
        if (exporting)
        {
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
            });
            telemetry.WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(TelemetrySourceName));
        }

        telemetry.WithTracing(tracing => tracing
            // Idle background work makes no traces; a child follows its parent's decision. Unexported, nothing is recorded.
            .SetSampler(exporting ? new ParentBasedSampler(new BackgroundWorkSampler()) : new AlwaysOffSampler())
            .AddSource(builder.Environment.ApplicationName, TelemetrySourceName)
            // RabbitMQ.Client 7 carries the trace through the queue: publish and deliver spans.
            .AddSource("RabbitMQ.Client.*")
            .AddAspNetCoreInstrumentation(aspNetCore =>
                // Health probes every few seconds would drown the traces that matter.
                aspNetCore.Filter = context =>
                    !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                    && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath))
            .AddHttpClientInstrumentation());

        if (exporting)
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);

        return builder;
    }

    /// <summary>
    /// <c>/health</c>: every check must pass (dependencies included); <c>/alive</c>: the process answers.
    /// Both answer with the status word only, so no check can leak a connection string or secret.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains("live"),
        });

        return app;
    }
}
