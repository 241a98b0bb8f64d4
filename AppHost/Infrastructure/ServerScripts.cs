namespace WarmTransfer.AppHost.Infrastructure;

/// <summary>
/// The shell scripts that start Redis and RabbitMQ, the same for a local executable and a container: they write the servers'
/// users and configuration from the environment into files only their owner can read, then start the server.
/// </summary>
internal static class ServerScripts
{
    public static string Redis { get; } = Read("redis-server.sh");

    public static string RedisCluster { get; } = Read("redis-cluster.sh");

    public static string RabbitMQ { get; } = Read("rabbitmq-server.sh");

    public static string RabbitMQCluster { get; } = Read("rabbitmq-cluster.sh");

    private static string Read(string name)
    {
        using var stream = typeof(ServerScripts).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The script {name} is not embedded in the AppHost.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
