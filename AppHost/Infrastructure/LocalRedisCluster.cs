using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace WarmTransfer.AppHost.Infrastructure;

/// <summary>
/// A Redis Cluster on this machine: <see cref="Nodes"/> <c>redis-server</c> processes, joined by <c>redis-cli --cluster
/// create</c> into primaries with a replica each. The resource itself is the step that joins them; it stays running while the
/// cluster serves, so what waits for it waits for a cluster that is up.
/// </summary>
public sealed class LocalRedisClusterResource(string name, ParameterResource password, IReadOnlyList<LocalRedisResource> nodes)
    : ExecutableResource(name, "/bin/sh", workingDirectory: string.Empty), IResourceWithConnectionString
{
    public const string BusEndpointName = "bus";

    public ParameterResource PasswordParameter { get; } = password;

    public IReadOnlyList<LocalRedisResource> Nodes { get; } = nodes;

    // Every node, so a client finds the cluster whichever nodes answer: the administrator's connection.
    public ReferenceExpression ConnectionStringExpression => ConnectionStringFor(user: null, PasswordParameter);

    /// <summary>Every node's address, then the user (none for the administrator) and password.</summary>
    public ReferenceExpression ConnectionStringFor(string? user, ParameterResource password)
    {
        var expression = new ReferenceExpressionBuilder();
        foreach (var node in Nodes)
        {
            expression.Append($"{Address(node)},");
        }

        if (user is not null)
        {
            expression.AppendLiteral($"user={user},");
        }

        expression.Append($"password={password}");
        return expression.Build();
    }

    // The address each node announces to the others (it listens on the loopback address): a client told another name for
    // it would keep a second connection to every node.
    private static ReferenceExpression Address(LocalRedisResource node) =>
        ReferenceExpression.Create($"127.0.0.1:{node.PrimaryEndpoint.Property(EndpointProperty.Port)}");

    /// <summary>The nodes as <c>host:port</c> separated by spaces, as <c>redis-cli --cluster create</c> takes them.</summary>
    public ReferenceExpression NodeAddresses
    {
        get
        {
            var expression = new ReferenceExpressionBuilder();
            for (var i = 0; i < Nodes.Count; i++)
            {
                expression.Append($"{(i == 0 ? string.Empty : " ")}{Address(Nodes[i])}");
            }

            return expression.Build();
        }
    }
}

public static class LocalRedisClusterBuilderExtensions
{
    /// <summary>Three primaries and three replicas.</summary>
    private const int Nodes = 6;

    private const int ReplicasPerPrimary = 1;

    public static IResourceBuilder<LocalRedisClusterResource> AddLocalRedisCluster(
        this IDistributedApplicationBuilder builder, string name, InfrastructurePlan plan, IReadOnlyDictionary<string, ParameterResource> users)
    {
        var password = ServerSecret.Create(builder, plan, name, $"{name}-password");
        // A cluster's nodes know each other by address, and their ports are new at every start: each start builds a new cluster.
        var clusterDirectory = Path.Combine(plan.DataDirectory, $"{name}-cluster");
        if (Directory.Exists(clusterDirectory))
        {
            Directory.Delete(clusterDirectory, recursive: true);
        }

        PrivateFolder.Create(clusterDirectory);
        var nodes = Enumerable.Range(1, Nodes)
            .Select(i => builder.AddLocalRedisNode($"{name}-{i}", password, PrivateFolder.Create(Path.Combine(clusterDirectory, $"node-{i}")), plan, users))
            .ToList();
        var cluster = new LocalRedisClusterResource(name, password, [.. nodes.Select(node => node.Resource)]);

        var healthCheckKey = builder.AddRedisHealthCheck(cluster);
        var resource = builder.AddResource(cluster)
            .WithArgs("-c", ServerScripts.RedisCluster)
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["REDIS_CLI"] = plan.LocalServers!.RedisCli;
                context.EnvironmentVariables["REDISCLI_AUTH"] = password;
                context.EnvironmentVariables["REDIS_NODES"] = cluster.NodeAddresses;
                context.EnvironmentVariables["REDIS_REPLICAS"] = ReplicasPerPrimary.ToString(System.Globalization.CultureInfo.InvariantCulture);
            })
            .WithIconName("DatabaseMultiple")
            .WithHealthCheck(healthCheckKey);
        foreach (var node in nodes)
        {
            resource.WaitFor(node).WithRelationship(node.Resource, "Node");
        }

        return resource;
    }

    private static IResourceBuilder<LocalRedisResource> AddLocalRedisNode(this IDistributedApplicationBuilder builder, string name,
        ParameterResource password, string dataDirectory, InfrastructurePlan plan, IReadOnlyDictionary<string, ParameterResource> users)
    {
        var node = new LocalRedisResource(name, password);
        var bus = new EndpointReference(node, LocalRedisClusterResource.BusEndpointName);
        return builder.AddResource(node)
            .WithLocalEndpoint(LocalRedisResource.PrimaryEndpointName, "redis")
            .WithLocalEndpoint(LocalRedisClusterResource.BusEndpointName, "tcp")
            .WithArgs("-c", ServerScripts.Redis)
            .WithRedisUsers(password, users, context =>
            {
                context.EnvironmentVariables["REDIS_SERVER"] = plan.LocalServers!.RedisServer;
                context.EnvironmentVariables["REDIS_BIND"] = "127.0.0.1";
                context.EnvironmentVariables["REDIS_PORT"] = node.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
                context.EnvironmentVariables["REDIS_CLUSTER_PORT"] = bus.Property(EndpointProperty.TargetPort);
                context.EnvironmentVariables["REDIS_DATA"] = dataDirectory;
            })
            .WithIconName("Database");
    }
}
