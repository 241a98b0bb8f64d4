namespace WarmTransfer.CallCenter;

/// <summary>Connection names, equal to the AppHost's resource names.</summary>
public static class ConnectionNames
{
    public const string Redis = "redis";
    public const string RabbitMQ = "rabbitmq";
}
