using Aspire.Hosting.ApplicationModel;

namespace WarmTransfer.AppHost.Infrastructure;

/// <summary>Redis and RabbitMQ for the call-center services, and each service's own login on both.</summary>
/// <param name="Redis">The Redis server; its connection string is the administrator's.</param>
/// <param name="RabbitMQ">The RabbitMQ server; its connection string is the administrator's.</param>
/// <param name="RedisUsers">Each service's Redis password, by service name.</param>
/// <param name="RabbitMQUsers">Each service's RabbitMQ password, by service name.</param>
/// <param name="KeyRingSecret">The secret that encrypts the portal's data-protection keys in Redis.</param>
public sealed record CallCenterInfrastructure(
    IResourceBuilder<IResourceWithConnectionString> Redis,
    IResourceBuilder<IResourceWithConnectionString> RabbitMQ,
    IReadOnlyDictionary<string, ParameterResource> RedisUsers,
    IReadOnlyDictionary<string, ParameterResource> RabbitMQUsers,
    ParameterResource KeyRingSecret);

/// <summary>
/// Redis and RabbitMQ as real servers: official containers where a runtime answers, local executables otherwise. Either way
/// the same scripts start them with a user per service, and a service gets its own connection strings.
/// </summary>
public static class InfrastructureExtensions
{
    private const string RedisContainerData = "/data";

    public static CallCenterInfrastructure AddCallCenterInfrastructure(this IDistributedApplicationBuilder builder, InfrastructurePlan plan)
    {
        if (plan.LocalServers is not null)
        {
            PrivateFolder.Create(plan.DataDirectory);
        }

        var redisUsers = ServiceAccounts.Services.ToDictionary(service => service,
            service => ServerSecret.Create(builder, plan, "redis", $"redis-{service}-password"));
        var rabbitMQUsers = ServiceAccounts.Services.ToDictionary(service => service,
            service => ServerSecret.Create(builder, plan, "rabbitmq", $"rabbitmq-{service}-password"));
        var keyRingSecret = ServerSecret.Create(builder, plan, "redis", "agentportal-key-ring-secret");

        IResourceBuilder<IResourceWithConnectionString> redis = plan switch
        {
            { LocalServers: not null, Redis: RedisTopology.Cluster } => builder.AddLocalRedisCluster("redis", plan, redisUsers),
            { LocalServers: not null } => builder.AddLocalRedis("redis", plan, redisUsers),
            _ => builder.AddRedisContainer("redis", redisUsers),
        };
        IResourceBuilder<IResourceWithConnectionString> rabbitmq = plan switch
        {
            { LocalServers: not null, RabbitMQ: RabbitMQTopology.Cluster } => builder.AddLocalRabbitMQCluster("rabbitmq", plan, rabbitMQUsers),
            { LocalServers: not null } => builder.AddLocalRabbitMQ("rabbitmq", plan, rabbitMQUsers),
            _ => builder.AddRabbitMQContainer("rabbitmq", rabbitMQUsers),
        };
        return new CallCenterInfrastructure(redis, rabbitmq, redisUsers, rabbitMQUsers, keyRingSecret);
    }

    /// <summary>
    /// A service that needs Redis and RabbitMQ: it connects as its own user on both (the connection strings name its user and
    /// carry its password only), and starts only once both servers are healthy.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithCallCenterInfrastructure(
        this IResourceBuilder<ProjectResource> service, CallCenterInfrastructure infrastructure)
    {
        var user = service.Resource.Name;
        var redisPassword = infrastructure.RedisUsers[user];
        var rabbitMQPassword = infrastructure.RabbitMQUsers[user];
        return service
            .WithEnvironment($"ConnectionStrings__{infrastructure.Redis.Resource.Name}", infrastructure.Redis.Resource switch
            {
                LocalRedisClusterResource cluster => cluster.ConnectionStringFor(user, redisPassword),
                var redis => ReferenceExpression.Create(
                    $"{((IResourceWithEndpoints)redis).GetEndpoint("tcp").Property(EndpointProperty.HostAndPort)},user={user},password={redisPassword}"),
            })
            .WithEnvironment($"ConnectionStrings__{infrastructure.RabbitMQ.Resource.Name}", infrastructure.RabbitMQ.Resource switch
            {
                LocalRabbitMQClusterResource cluster => cluster.ConnectionStringFor(user, rabbitMQPassword),
                var rabbitmq => ReferenceExpression.Create(
                    $"amqp://{user}:{rabbitMQPassword}@{((IResourceWithEndpoints)rabbitmq).GetEndpoint("tcp").Property(EndpointProperty.HostAndPort)}"),
            })
            .WithRelationship(infrastructure.Redis.Resource, "Reference")
            .WithRelationship(infrastructure.RabbitMQ.Resource, "Reference")
            .WaitFor(infrastructure.Redis)
            .WaitFor(infrastructure.RabbitMQ);
    }

    private static IResourceBuilder<RedisResource> AddRedisContainer(
        this IDistributedApplicationBuilder builder, string name, IReadOnlyDictionary<string, ParameterResource> users)
    {
        var redis = builder.AddRedis(name).WithDataVolume();
        return redis
            .WithArgs(context =>
            {
                // The image's shell runs the same script as a local server, in place of the integration's command line.
                context.Args.Clear();
                context.Args.Add("-c");
                context.Args.Add(ServerScripts.Redis);
            })
            .WithRedisUsers(redis.Resource.PasswordParameter!, users, context =>
            {
                context.EnvironmentVariables["REDIS_SERVER"] = "redis-server";
                context.EnvironmentVariables["REDIS_BIND"] = "* -::*";
                context.EnvironmentVariables["REDIS_PORT"] = redis.Resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
                context.EnvironmentVariables["REDIS_DATA"] = RedisContainerData;
            });
    }

    private static IResourceBuilder<RabbitMQServerResource> AddRabbitMQContainer(
        this IDistributedApplicationBuilder builder, string name, IReadOnlyDictionary<string, ParameterResource> users)
    {
        var rabbitmq = builder.AddRabbitMQ(name);
        // A volume of its own since the queues became quorum queues: the one that held them as classic queues would refuse them.
        return rabbitmq.WithDataVolume(VolumeNameGenerator.Generate(rabbitmq, "quorum-data"))
            .WithEntrypoint("/bin/sh")
            .WithArgs("-c", ServerScripts.RabbitMQ)
            .WithRabbitMQUsers(users, context =>
            {
                // The image's own entry point prepares the data folder and drops to the rabbitmq user.
                context.EnvironmentVariables["RABBITMQ_START"] = "docker-entrypoint.sh rabbitmq-server";
                context.EnvironmentVariables["RABBITMQ_DEFINITIONS"] = "/var/lib/rabbitmq/definitions.json";
                context.EnvironmentVariables["RABBITMQ_DEFINITIONS_CONF"] = "/etc/rabbitmq/conf.d/90-warmtransfer.conf";
                context.EnvironmentVariables["RABBITMQ_OWNER"] = "rabbitmq";
            });
    }
}
