using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using WarmTransfer.CallCenter.Figures;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.Routing;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter;

public static class CallCenterInfrastructureExtensions
{
    /// <summary>
    /// Connects the service to the call center's Redis and RabbitMQ. Both clients add health checks,
    /// so <c>/health</c> only reports healthy while Redis answers a ping and the RabbitMQ connection is open.
    /// </summary>
    /// <param name="redisTimeout">The longest the service waits for one Redis command; the client's default (5 s) when null.</param>
    public static IHostApplicationBuilder AddCallCenterInfrastructure(this IHostApplicationBuilder builder, TimeSpan? redisTimeout = null)
    {
        // The client name shows who is connected in Redis' CLIENT LIST. Each command is traced only when traces are exported
        // (an OTLP endpoint is configured, as ServiceDefaults checks): profiling every command costs the hot paths for nothing otherwise.
        var exporting = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        builder.AddRedisClient(ConnectionNames.Redis,
            configureSettings: settings => settings.DisableTracing = !exporting,
            configureOptions: options =>
            {
                options.ClientName = builder.Environment.ApplicationName;
                if (redisTimeout is { } timeout)
                {
                    options.AsyncTimeout = options.SyncTimeout = (int)timeout.TotalMilliseconds;
                }
            });

        // The connection string names one node or every node of a cluster (AMQP URIs separated by commas): the client connects
        // to any that answers and, when its node goes, recovers on another. A connection lost is tried again every second, not
        // every five: once RabbitMQ is back, dials wait in the outbox and the queues for a second at most.
        BrokerNodes? nodes = null;
        builder.AddRabbitMQClient(ConnectionNames.RabbitMQ,
            configureSettings: settings =>
            {
                nodes = BrokerNodes.Parse(settings.ConnectionString);
                settings.ConnectionString = nodes?.First.OriginalString;
            },
            configureConnectionFactory: factory =>
            {
                factory.ClientProvidedName = builder.Environment.ApplicationName;
                factory.NetworkRecoveryInterval = TimeSpan.FromSeconds(1);
                if (nodes is { Endpoints.Count: > 1 } cluster)
                {
                    factory.EndpointResolverFactory = _ => new DefaultEndpointResolver(cluster.EndpointsWith(factory.Ssl));
                }
            });

        builder.Services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<MessagingTopologyInitializer>();
        builder.Services.AddSingleton<ConfirmedPublisher>();
        builder.Services.AddSingleton<DialRequestPublisher>();
        builder.Services.AddSingleton<IDialRequestPublisher>(services => services.GetRequiredService<DialRequestPublisher>());
        builder.Services.AddHostedService<OutboxRelay>();
        builder.Services.AddSingleton<IAgentUpdatePublisher, AgentUpdatePublisher>();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.Configure<PresenceOptions>(builder.Configuration.GetSection(PresenceOptions.Section));
        builder.Services.AddSingleton<AgentStore>();
        builder.Services.AddSingleton<DialLedger>();
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddSingleton<ContactEventLog>();
        builder.Services.AddSingleton<CallSessions>();
        builder.Services.AddOptions<FiguresOptions>().BindConfiguration(FiguresOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<CallCenterMetrics>();

        return builder;
    }
}
