using System.Net.Sockets;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;

namespace WarmTransfer.AppHost.Infrastructure;

/// <summary>
/// RabbitMQ's server script on this machine: its own node, AMQP and distribution ports and data folder,
/// registered with an epmd that belongs to this app, so stopping the app leaves no Erlang daemon behind.
/// </summary>
public sealed class LocalRabbitMQResource(string name, ParameterResource password)
    : ExecutableResource(name, "/bin/sh", workingDirectory: string.Empty), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "tcp";
    public const string DistributionEndpointName = "dist";
    public const string UserName = "warmtransfer";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    // The same shape as the RabbitMQ container resource's: the administrator's connection (health checks, tests, tools).
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create(
            $"amqp://{UserName}:{PasswordParameter}@{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}");
}

/// <summary>The Erlang port mapper daemon, run in the foreground for one RabbitMQ node.</summary>
public sealed class EpmdResource(string name, string command)
    : ExecutableResource(name, command, workingDirectory: string.Empty)
{
    public const string PrimaryEndpointName = "tcp";
}

public static class LocalRabbitMQBuilderExtensions
{
    public static IResourceBuilder<LocalRabbitMQResource> AddLocalRabbitMQ(
        this IDistributedApplicationBuilder builder, string name, InfrastructurePlan plan, IReadOnlyDictionary<string, ParameterResource> users)
    {
        var dataDirectory = PrivateFolder.Create(Path.Combine(plan.DataDirectory, name));
        // The queues were classic queues before they were quorum queues, which RabbitMQ cannot turn one into the other: the
        // development broker's old database is deleted and its queues declared anew.
        var classicQueues = Path.Combine(dataDirectory, "mnesia");
        if (Directory.Exists(classicQueues))
        {
            Directory.Delete(classicQueues, recursive: true);
        }

        var epmd = builder.AddEpmd($"{name}-epmd", plan.LocalServers!.Epmd);
        var server = builder.AddLocalRabbitMQNode(name, "warmtransfer@localhost", ServerSecret.Create(builder, plan, name, $"{name}-password"),
            dataDirectory, PrivateFolder.Create(Path.Combine(dataDirectory, "home")), epmd, plan, users);
        epmd.WithParentRelationship(server);
        return server;
    }

    /// <summary>One RabbitMQ node: its own name, AMQP and distribution ports and data folder, registered with <paramref name="epmd"/>.</summary>
    internal static IResourceBuilder<LocalRabbitMQResource> AddLocalRabbitMQNode(this IDistributedApplicationBuilder builder, string name,
        string nodeName, ParameterResource password, string dataDirectory, string home, IResourceBuilder<EpmdResource> epmd,
        InfrastructurePlan plan, IReadOnlyDictionary<string, ParameterResource> users)
    {
        var servers = plan.LocalServers!;
        var rabbitmq = new LocalRabbitMQResource(name, password);

        var healthCheckKey = $"{name}_check";
        IConnection? connection = null;
        builder.Services.AddHealthChecks().AddRabbitMQ(async _ =>
        {
            // One connection, kept for later checks, created only once the server runs.
            var uri = await rabbitmq.ConnectionStringExpression.GetValueAsync(CancellationToken.None);
            return connection ??= await new ConnectionFactory { Uri = new Uri(uri!) }.CreateConnectionAsync();
        }, healthCheckKey);

        return builder.AddResource(rabbitmq)
            .WithLocalEndpoint(LocalRabbitMQResource.PrimaryEndpointName, "amqp")
            .WithLocalEndpoint(LocalRabbitMQResource.DistributionEndpointName, "tcp")
            .WithArgs("-c", ServerScripts.RabbitMQ)
            .WithRabbitMQUsers(users, context =>
            {
                var env = context.EnvironmentVariables;
                env["RABBITMQ_START"] = servers.RabbitMQServer;
                env["RABBITMQ_DEFINITIONS"] = Path.Combine(dataDirectory, "definitions.json");
                env["RABBITMQ_DEFINITIONS_CONF"] = Path.Combine(dataDirectory, "rabbitmq.conf");
                env["RABBITMQ_NODENAME"] = nodeName;
                env["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
                env["RABBITMQ_NODE_PORT"] = rabbitmq.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
                env["RABBITMQ_DIST_PORT"] = rabbitmq.GetEndpoint(LocalRabbitMQResource.DistributionEndpointName)
                    .Property(EndpointProperty.TargetPort);
                // Schedulers that sleep when out of work instead of spinning for more: the node shares a developer's cores with
                // the services it serves.
                env["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none";
                env["RABBITMQ_MNESIA_BASE"] = Path.Combine(dataDirectory, "db");
                env["RABBITMQ_LOG_BASE"] = Path.Combine(dataDirectory, "log");
                env["RABBITMQ_LOGS"] = "-";
                env["RABBITMQ_DEFAULT_USER"] = LocalRabbitMQResource.UserName;
                env["RABBITMQ_DEFAULT_PASS"] = rabbitmq.PasswordParameter;
                WithErlangEnvironment(env, home, dataDirectory, epmd);
            })
            .WithIconName("MailMultiple")
            .WithHealthCheck(healthCheckKey)
            .WaitFor(epmd);
    }

    /// <summary>
    /// What every Erlang VM of a node needs, the server's and its command-line tools' alike: the home holding the node's cookie,
    /// the app's epmd, and nothing from the machine's /etc/rabbitmq.
    /// </summary>
    internal static void WithErlangEnvironment(IDictionary<string, object> env, string home, string dataDirectory, IResourceBuilder<EpmdResource> epmd)
    {
        env["HOME"] = home;
        env["ERL_EPMD_PORT"] = epmd.Resource.GetEndpoint(EpmdResource.PrimaryEndpointName).Property(EndpointProperty.TargetPort);
        // Every Erlang VM of this node (RabbitMQ re-checks epmd once a minute through a short-lived one) uses the app's epmd and
        // never starts a daemon of its own, which would outlive the app when its epmd stops first.
        env["ERL_ZFLAGS"] = "-start_epmd false";
        env["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(dataDirectory, "rabbitmq-env.conf");
        env["RABBITMQ_CONFIG_FILE"] = Path.Combine(dataDirectory, "rabbitmq");
        env["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(dataDirectory, "enabled_plugins");
    }

    /// <summary>The environment <see cref="ServerScripts.RabbitMQ"/> reads: each service's user and permissions, and the topology with the queues' bounds.</summary>
    public static IResourceBuilder<T> WithRabbitMQUsers<T>(this IResourceBuilder<T> rabbitmq, IReadOnlyDictionary<string, ParameterResource> users,
        Action<EnvironmentCallbackContext> server)
        where T : IResourceWithEnvironment =>
        rabbitmq.WithEnvironment(context =>
        {
            server(context);
            context.EnvironmentVariables["RABBITMQ_USERS"] = string.Join(' ', users.Keys);
            foreach (var (user, password) in users)
            {
                context.EnvironmentVariables[$"RABBITMQ_USER_{user}_PASSWORD"] = password;
                context.EnvironmentVariables[$"RABBITMQ_USER_{user}_PERMISSIONS"] = ServiceAccounts.RabbitMQPermissions(user);
            }

            context.EnvironmentVariables["RABBITMQ_TOPOLOGY"] = ServiceAccounts.RabbitMQTopology;
        });

    internal static IResourceBuilder<EpmdResource> AddEpmd(this IDistributedApplicationBuilder builder, string name, string command)
    {
        var epmd = new EpmdResource(name, command);
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheckKey, async cancellationToken =>
        {
            var endpoint = epmd.GetEndpoint(EpmdResource.PrimaryEndpointName);
            using var client = new TcpClient();
            try
            {
                // A whole request (NAMES_REQ: its length, 1, and 'n') and its answer: epmd logs a connection closed unasked as an error.
                await client.ConnectAsync(endpoint.Host, endpoint.Port, cancellationToken);
                var stream = client.GetStream();
                await stream.WriteAsync(new byte[] { 0, 1, (byte)'n' }, cancellationToken);
                var answer = new byte[4];
                await stream.ReadExactlyAsync(answer, cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception exception) when (exception is SocketException or IOException)
            {
                return HealthCheckResult.Unhealthy("epmd does not answer yet", exception);
            }
        });

        return builder.AddResource(epmd)
            .WithLocalEndpoint(EpmdResource.PrimaryEndpointName, "tcp")
            .WithArgs(context =>
            {
                context.Args.Add("-port");
                context.Args.Add(epmd.GetEndpoint(EpmdResource.PrimaryEndpointName).Property(EndpointProperty.TargetPort));
                context.Args.Add("-address");
                context.Args.Add("127.0.0.1");
            })
            .WithHealthCheck(healthCheckKey);
    }
}
