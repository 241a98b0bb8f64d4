using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;

namespace WarmTransfer.AppHost.Infrastructure;

/// <summary>
/// A RabbitMQ cluster on this machine: <see cref="Nodes"/> nodes with their own names, ports and data folders, sharing one
/// epmd and one cookie, joined with <c>rabbitmqctl join_cluster</c> and every quorum queue grown onto each of them. The resource
/// itself is the step that joins them; it stays running while the cluster serves, so what waits for it waits for a cluster.
/// </summary>
public sealed class LocalRabbitMQClusterResource(string name, ParameterResource password, IReadOnlyList<LocalRabbitMQResource> nodes)
    : ExecutableResource(name, "/bin/sh", workingDirectory: string.Empty), IResourceWithConnectionString
{
    public ParameterResource PasswordParameter { get; } = password;

    public IReadOnlyList<LocalRabbitMQResource> Nodes { get; } = nodes;

    // Every node, so a client reaches the cluster whichever nodes answer: the administrator's connection.
    public ReferenceExpression ConnectionStringExpression => ConnectionStringFor(LocalRabbitMQResource.UserName, PasswordParameter);

    /// <summary>One AMQP URI per node, separated by commas, each with the user and password.</summary>
    public ReferenceExpression ConnectionStringFor(string user, ParameterResource password)
    {
        var expression = new ReferenceExpressionBuilder();
        for (var i = 0; i < Nodes.Count; i++)
        {
            expression.Append($"{(i == 0 ? string.Empty : ",")}amqp://{user}:{password}@{Nodes[i].PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}");
        }

        return expression.Build();
    }
}

public static class LocalRabbitMQClusterBuilderExtensions
{
    private const int Nodes = 3;

    public static IResourceBuilder<LocalRabbitMQClusterResource> AddLocalRabbitMQCluster(
        this IDistributedApplicationBuilder builder, string name, InfrastructurePlan plan, IReadOnlyDictionary<string, ParameterResource> users)
    {
        var servers = plan.LocalServers!;
        var password = ServerSecret.Create(builder, plan, name, $"{name}-password");
        // The nodes know each other by their distribution ports, new at every start: each start builds a new cluster.
        var clusterDirectory = Path.Combine(plan.DataDirectory, $"{name}-cluster");
        if (Directory.Exists(clusterDirectory))
        {
            Directory.Delete(clusterDirectory, recursive: true);
        }

        PrivateFolder.Create(clusterDirectory);
        var home = PrivateFolder.Create(Path.Combine(clusterDirectory, "home"));
        // The nodes (and the tools that join them) are one cluster only if they share a cookie.
        File.WriteAllText(Path.Combine(home, ".erlang.cookie"), Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20)));
        PrivateFolder.Create(home);
        var ready = Path.Combine(clusterDirectory, "joined");

        var epmd = builder.AddEpmd($"{name}-epmd", servers.Epmd);
        var nodeNames = Enumerable.Range(1, Nodes).Select(i => $"warmtransfer-{i}@localhost").ToList();
        var nodes = Enumerable.Range(1, Nodes)
            .Select(i => builder.AddLocalRabbitMQNode($"{name}-{i}", nodeNames[i - 1], password,
                PrivateFolder.Create(Path.Combine(clusterDirectory, $"node-{i}")), home, epmd, plan, users))
            .ToList();
        var cluster = new LocalRabbitMQClusterResource(name, password, [.. nodes.Select(node => node.Resource)]);

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheckKey, async cancellationToken =>
        {
            if (!File.Exists(ready))
            {
                return HealthCheckResult.Unhealthy("The nodes are joining into one cluster.");
            }

            var connectionString = await cluster.ConnectionStringExpression.GetValueAsync(cancellationToken);
            var uris = connectionString!.Split(',').Select(uri => new Uri(uri)).ToList();
            try
            {
                await using var connection = await new ConnectionFactory { Uri = uris[0] }
                    .CreateConnectionAsync([.. uris.Select(uri => new AmqpTcpEndpoint(uri))], cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (RabbitMQ.Client.Exceptions.BrokerUnreachableException exception)
            {
                return HealthCheckResult.Unhealthy("No node of the cluster accepts a connection.", exception);
            }
        });

        var resource = builder.AddResource(cluster)
            .WithArgs("-c", ServerScripts.RabbitMQCluster)
            .WithEnvironment(context =>
            {
                var env = context.EnvironmentVariables;
                var tools = Path.GetDirectoryName(servers.RabbitMQServer)!;
                env["RABBITMQCTL"] = Path.Combine(tools, "rabbitmqctl");
                env["RABBITMQ_QUEUES"] = Path.Combine(tools, "rabbitmq-queues");
                env["RABBITMQ_CLUSTER_NODES"] = string.Join(' ', nodeNames);
                env["RABBITMQ_CLUSTER_READY"] = ready;
                LocalRabbitMQBuilderExtensions.WithErlangEnvironment(env, home, clusterDirectory, epmd);
            })
            .WithIconName("MailMultiple")
            .WithHealthCheck(healthCheckKey);
        epmd.WithParentRelationship(resource);
        foreach (var node in nodes)
        {
            resource.WaitFor(node).WithRelationship(node.Resource, "Node");
        }

        return resource;
    }
}
