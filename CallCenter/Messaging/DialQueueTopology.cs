using RabbitMQ.Client;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>
/// The dial-request topology: a durable exchange and queue, and a dead-letter queue that keeps
/// every request the worker finally gave up on.
/// </summary>
public static class DialQueueTopology
{
    public const string Exchange = "warmtransfer.dial";
    public const string Queue = "dial-requests";
    public const string RoutingKey = "dial";
    public const string DeadLetterExchange = "warmtransfer.dial.dead-letter";
    public const string DeadLetterQueue = "dial-requests.dead-letter";

    /// <summary>Declares the topology; declaring it again with the same arguments changes nothing.</summary>
    public static async Task DeclareAsync(IChannel channel, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclareAsync(DeadLetterExchange, ExchangeType.Fanout, durable: true, autoDelete: false,
            cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(DeadLetterQueue, durable: true, exclusive: false, autoDelete: false,
            cancellationToken: cancellationToken);
        await channel.QueueBindAsync(DeadLetterQueue, DeadLetterExchange, routingKey: string.Empty,
            cancellationToken: cancellationToken);

        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Direct, durable: true, autoDelete: false,
            cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-dead-letter-exchange"] = DeadLetterExchange },
            cancellationToken: cancellationToken);
        await channel.QueueBindAsync(Queue, Exchange, RoutingKey, cancellationToken: cancellationToken);
    }
}
