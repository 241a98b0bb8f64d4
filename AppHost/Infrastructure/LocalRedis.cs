using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace WarmTransfer.AppHost.Infrastructure;

/// <summary>A <c>redis-server</c> process on this machine, with a port of its own and AOF persistence.</summary>
public sealed class LocalRedisResource(string name, ParameterResource password)
    : ExecutableResource(name, "/bin/sh", workingDirectory: string.Empty), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "tcp";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    // The same shape as the Redis container resource's, so services read it the same way.
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},password={PasswordParameter}");
}

public static class LocalRedisBuilderExtensions
{
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, string name, string redisServer, string dataDirectory)
    {
        var password = LocalServerPassword.Create(builder, $"{name}-password", dataDirectory);
        var redis = new LocalRedisResource(name, password);

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(redis, async (_, cancellationToken) =>
            connectionString = await redis.ConnectionStringExpression.GetValueAsync(cancellationToken));

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis(
            _ => connectionString ?? throw new InvalidOperationException($"The '{name}' connection string is not known yet."),
            name: healthCheckKey);

        // The password travels in the environment, not in the arguments the dashboard shows;
        // exec leaves redis-server itself as the process Aspire stops.
        const string script =
            "exec \"$REDIS_SERVER\" --bind 127.0.0.1 --port \"$REDIS_PORT\" --requirepass \"$REDIS_PASSWORD\" " +
            "--dir \"$REDIS_DATA\" --appendonly yes --appendfsync everysec --save '' --daemonize no";

        return builder.AddResource(redis)
            .WithEndpoint(LocalRedisResource.PrimaryEndpointName, endpoint =>
            {
                endpoint.UriScheme = "redis";
                endpoint.IsProxied = false;
            })
            .WithArgs("-c", script)
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["REDIS_SERVER"] = redisServer;
                context.EnvironmentVariables["REDIS_PORT"] = redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
                context.EnvironmentVariables["REDIS_PASSWORD"] = redis.PasswordParameter;
                context.EnvironmentVariables["REDIS_DATA"] = dataDirectory;
            })
            .WithIconName("Database")
            .WithHealthCheck(healthCheckKey);
    }
}
