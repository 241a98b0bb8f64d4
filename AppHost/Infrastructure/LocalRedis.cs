using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace WarmTransfer.AppHost.Infrastructure;

/// <summary>A <c>redis-server</c> process on this machine, with a port of its own, AOF persistence and a user per service.</summary>
public sealed class LocalRedisResource(string name, ParameterResource password)
    : ExecutableResource(name, "/bin/sh", workingDirectory: string.Empty), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "tcp";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    // The same shape as the Redis container resource's: the administrator's connection (health checks, tests, tools).
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},password={PasswordParameter}");
}

public static class LocalRedisBuilderExtensions
{
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, string name, InfrastructurePlan plan, IReadOnlyDictionary<string, ParameterResource> users)
    {
        var dataDirectory = PrivateFolder.Create(Path.Combine(plan.DataDirectory, name));
        var redis = new LocalRedisResource(name, ServerSecret.Create(builder, plan, name, $"{name}-password"));

        var healthCheckKey = builder.AddRedisHealthCheck(redis);
        return builder.AddResource(redis)
            .WithLocalEndpoint(LocalRedisResource.PrimaryEndpointName, "redis")
            .WithArgs("-c", ServerScripts.Redis)
            .WithRedisUsers(redis.PasswordParameter, users, context =>
            {
                context.EnvironmentVariables["REDIS_SERVER"] = plan.LocalServers!.RedisServer;
                context.EnvironmentVariables["REDIS_BIND"] = "127.0.0.1";
                context.EnvironmentVariables["REDIS_PORT"] = redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
                context.EnvironmentVariables["REDIS_DATA"] = dataDirectory;
            })
            .WithIconName("Database")
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>
    /// A health check that connects as the administrator once Aspire knows the connection string (a cluster's asks whether every
    /// slot is served); returns the check's key.
    /// </summary>
    public static string AddRedisHealthCheck(this IDistributedApplicationBuilder builder, IResourceWithConnectionString redis)
    {
        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(redis, async (_, cancellationToken) =>
            connectionString = await redis.ConnectionStringExpression.GetValueAsync(cancellationToken));
        var key = $"{redis.Name}_check";
        builder.Services.AddHealthChecks().AddRedis(
            _ => connectionString ?? throw new InvalidOperationException($"The '{redis.Name}' connection string is not known yet."),
            name: key);
        return key;
    }

    /// <summary>The environment <see cref="ServerScripts.Redis"/> reads: the administrator's password and each service's user.</summary>
    public static IResourceBuilder<T> WithRedisUsers<T>(this IResourceBuilder<T> redis, ParameterResource administrator,
        IReadOnlyDictionary<string, ParameterResource> users, Action<EnvironmentCallbackContext> server)
        where T : IResourceWithEnvironment =>
        redis.WithEnvironment(context =>
        {
            server(context);
            context.EnvironmentVariables["REDIS_PASSWORD"] = administrator;
            context.EnvironmentVariables["REDIS_USERS"] = string.Join(' ', users.Keys);
            foreach (var (user, password) in users)
            {
                context.EnvironmentVariables[$"REDIS_USER_{user}_PASSWORD"] = password;
                context.EnvironmentVariables[$"REDIS_USER_{user}_RULES"] = ServiceAccounts.RedisRules(user);
            }
        });
}
