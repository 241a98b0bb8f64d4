using RabbitMQ.Client;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>
/// The worker's queues: dial requests (paced to the account's calls per second) and call commands (never paced behind them),
/// on one durable exchange, with a dead-letter queue that keeps every message the worker finally gave up on. All are quorum
/// queues: replicated on every node of a RabbitMQ cluster, a queue goes on serving while a minority of its nodes is down.
/// </summary>
public static class WorkQueueTopology
{
    public const string Exchange = "warmtransfer.dial";
    public const string DialQueue = "dial-requests";
    public const string CommandQueue = "call-commands";
    public const string DeadLetterExchange = "warmtransfer.dial.dead-letter";
    public const string DeadLetterQueue = "dial-requests.dead-letter";

    /// <summary>
    /// How many times the broker hands out a message that comes back unsettled (its consumer's connection or channel closed
    /// first) before it dead-letters it: a message that brings down every worker that takes it is put aside. A worker's own
    /// failures are counted by <see cref="QueueConsumer{TMessage, THandler}"/> against a smaller limit; this one is high enough
    /// that workers stopped or crashed, or a node that fails over, never dead-letter a dial.
    /// </summary>
    public const int BrokerDeliveryLimit = 20;

    /// <summary>A quorum queue's arguments, and those of every queue this app declares.</summary>
    public static Dictionary<string, object?> QuorumQueue(params (string Name, object Value)[] arguments)
    {
        var all = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        foreach (var (name, value) in arguments)
        {
            all[name] = value;
        }

        return all;
    }

    // A work queue refuses a publish when full (the publisher keeps it in its outbox) and dead-letters at least once: a
    // message given up on stays in the work queue until the dead-letter queue has taken it.
    private static Dictionary<string, object?> WorkQueue() => QuorumQueue(
        ("x-dead-letter-exchange", DeadLetterExchange),
        ("x-dead-letter-strategy", "at-least-once"),
        ("x-overflow", "reject-publish"),
        ("x-delivery-limit", BrokerDeliveryLimit));

    /// <summary>The routing key (and queue) of a message type.</summary>
    public static string RoutingKey(string messageType) => messageType == nameof(CallCommand) ? "command" : "dial";

    /// <summary>Declares the topology; declaring it again with the same arguments changes nothing.</summary>
    public static async Task DeclareAsync(IChannel channel, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclareAsync(DeadLetterExchange, ExchangeType.Fanout, durable: true, autoDelete: false,
            cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(DeadLetterQueue, durable: true, exclusive: false, autoDelete: false, arguments: QuorumQueue(),
            cancellationToken: cancellationToken);
        await channel.QueueBindAsync(DeadLetterQueue, DeadLetterExchange, routingKey: string.Empty,
            cancellationToken: cancellationToken);

        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Direct, durable: true, autoDelete: false,
            cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(DialQueue, durable: true, exclusive: false, autoDelete: false, arguments: WorkQueue(),
            cancellationToken: cancellationToken);
        await channel.QueueBindAsync(DialQueue, Exchange, RoutingKey(nameof(DialRequest)), cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(CommandQueue, durable: true, exclusive: false, autoDelete: false, arguments: WorkQueue(),
            cancellationToken: cancellationToken);
        await channel.QueueBindAsync(CommandQueue, Exchange, RoutingKey(nameof(CallCommand)), cancellationToken: cancellationToken);
    }
}
