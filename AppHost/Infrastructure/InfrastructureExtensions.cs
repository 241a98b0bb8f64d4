using Aspire.Hosting.ApplicationModel;

namespace WarmTransfer.AppHost.Infrastructure;

/// <summary>
/// Redis and RabbitMQ as real servers: official containers where a runtime answers, local executables
/// otherwise. Either way a service gets the same connection string through <c>WithReference</c>.
/// </summary>
public static class InfrastructureExtensions
{
    public static IResourceBuilder<IResourceWithConnectionString> AddRedisServer(
        this IDistributedApplicationBuilder builder, string name, InfrastructurePlan plan) =>
        plan.LocalServers is { } servers
            ? builder.AddLocalRedis(name, servers.RedisServer, Path.Combine(plan.DataDirectory, name))
            : builder.AddRedis(name).WithDataVolume();

    public static IResourceBuilder<IResourceWithConnectionString> AddRabbitMQServer(
        this IDistributedApplicationBuilder builder, string name, InfrastructurePlan plan) =>
        plan.LocalServers is { } servers
            ? builder.AddLocalRabbitMQ(name, servers, Path.Combine(plan.DataDirectory, name))
            : builder.AddRabbitMQ(name).WithDataVolume();

    /// <summary>A service that needs Redis and RabbitMQ: referenced, and started only once both are healthy.</summary>
    public static IResourceBuilder<ProjectResource> WithCallCenterInfrastructure(
        this IResourceBuilder<ProjectResource> service,
        IResourceBuilder<IResourceWithConnectionString> redis,
        IResourceBuilder<IResourceWithConnectionString> rabbitmq) =>
        service
            .WithReference(redis).WaitFor(redis)
            .WithReference(rabbitmq).WaitFor(rabbitmq);
}
