using Microsoft.Extensions.Configuration;

namespace WarmTransfer.AppHost.Infrastructure;

/// <summary>How Redis and RabbitMQ are run: as containers, or as local executables.</summary>
public enum InfrastructureMode
{
    /// <summary>Containers when a container runtime answers, local executables otherwise.</summary>
    Auto,
    Containers,
    Local,
}

/// <summary>How Redis is laid out on this machine.</summary>
public enum RedisTopology
{
    /// <summary>One server.</summary>
    Single,

    /// <summary>A Redis Cluster of three primaries, each with a replica: six local <c>redis-server</c> processes.</summary>
    Cluster,
}

/// <summary>How RabbitMQ is laid out on this machine.</summary>
public enum RabbitMQTopology
{
    /// <summary>One node.</summary>
    Single,

    /// <summary>A cluster of three local nodes, every queue a quorum queue replicated on each.</summary>
    Cluster,
}

/// <summary>The <c>Infrastructure</c> configuration section of the AppHost.</summary>
public sealed class InfrastructureOptions
{
    public const string SectionName = "Infrastructure";

    public InfrastructureMode Mode { get; set; } = InfrastructureMode.Auto;

    /// <summary>The container CLI asked whether a runtime answers; Aspire's own setting by default.</summary>
    public string ContainerRuntime { get; set; } =
        Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") is { Length: > 0 } runtime ? runtime : "docker";

    /// <summary>Where local Redis and RabbitMQ keep their data; relative paths are under the repository root.</summary>
    public string DataDirectory { get; set; } = ".data";

    /// <summary>One Redis server, or a local Redis Cluster (<c>Infrastructure:Redis=cluster</c>, local servers only).</summary>
    public RedisTopology Redis { get; set; } = RedisTopology.Single;

    /// <summary>One RabbitMQ node, or a local three-node cluster (<c>Infrastructure:RabbitMQ=cluster</c>, local servers only).</summary>
    public RabbitMQTopology RabbitMQ { get; set; } = RabbitMQTopology.Single;

    public string RedisServer { get; set; } = "redis-server";

    public string RedisCli { get; set; } = "redis-cli";

    /// <summary>RabbitMQ's own server script, run directly (the /usr/sbin wrapper switches user).</summary>
    public string RabbitMQServer { get; set; } = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    public string Epmd { get; set; } = "epmd";

    public static InfrastructureOptions From(IConfiguration configuration) =>
        configuration.GetSection(SectionName).Get<InfrastructureOptions>() ?? new InfrastructureOptions();
}
