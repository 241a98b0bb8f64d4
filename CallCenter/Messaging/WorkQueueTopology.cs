using RabbitMQ.Client;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>
/// The worker's queues: dial requests (paced to the account's calls per second) and call commands (never paced behind them),
/// on one durable exchange, with a dead-letter queue that keeps every message the worker finally gave up on.
/// </summary>
public static class WorkQueueTopology
{
    public const string Exchange = "warmtransfer.dial";
    public const string DialQueue = "dial-requests";
    public const string CommandQueue = "call-commands";
    public const string DeadLetterExchange = "warmtransfer.dial.dead-letter";
    public const string DeadLetterQueue = "dial-requests.dead-letter";

    /// <summary>The routing key (and queue) of a message type.</summary>
    public static string RoutingKey(string messageType) => messageType == nameof(CallCommand) ? "command" : "dial";

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
        var deadLetters = new Dictionary<string, object?> { ["x-dead-letter-exchange"] = DeadLetterExchange };
        await channel.QueueDeclareAsync(DialQueue, durable: true, exclusive: false, autoDelete: false, arguments: deadLetters,
            cancellationToken: cancellationToken);
        await channel.QueueBindAsync(DialQueue, Exchange, RoutingKey(nameof(DialRequest)), cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(CommandQueue, durable: true, exclusive: false, autoDelete: false, arguments: deadLetters,
            cancellationToken: cancellationToken);
        await channel.QueueBindAsync(CommandQueue, Exchange, RoutingKey(nameof(CallCommand)), cancellationToken: cancellationToken);
    }
}
