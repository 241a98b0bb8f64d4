using System.Text.Json;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>What an agent sees changed (their presence, their call, a colleague's availability): the portal pushes it.</summary>
/// <param name="AgentIds">The agents whose own view changed (the portal pushes the list of free colleagues on its own).</param>
public sealed record AgentsChanged(IReadOnlyList<string> AgentIds);

/// <summary>
/// Agent updates go to one queue that every portal replica consumes from: each update is handled once, by one replica,
/// and SignalR's Redis backplane carries the push to whichever replica holds the agent's connection.
/// </summary>
public static class AgentUpdateTopology
{
    public const string Exchange = "warmtransfer.agent-updates";
    public const string Queue = "agent-updates";

    /// <summary>An update nobody took within this time is stale: a page that reconnects reads the current state anyway.</summary>
    public static readonly TimeSpan MessageLifetime = TimeSpan.FromSeconds(30);

    public static async Task DeclareAsync(IChannel channel, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Fanout, durable: true, autoDelete: false,
            cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false,
            arguments: WorkQueueTopology.QuorumQueue(("x-message-ttl", (int)MessageLifetime.TotalMilliseconds)),
            cancellationToken: cancellationToken);
        await channel.QueueBindAsync(Queue, Exchange, routingKey: string.Empty, cancellationToken: cancellationToken);
    }
}

public interface IAgentUpdatePublisher
{
    /// <summary>Tells the portal these agents' views changed. Null ids are skipped (with none left, nothing is sent); a failure is logged, never thrown.</summary>
    Task PublishAsync(IEnumerable<string?> agentIds, CancellationToken cancellationToken = default);
}

public sealed class AgentUpdatePublisher(ConfirmedPublisher publisher, ILogger<AgentUpdatePublisher> logger) : IAgentUpdatePublisher
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task PublishAsync(IEnumerable<string?> agentIds, CancellationToken cancellationToken = default)
    {
        var update = new AgentsChanged([.. agentIds.OfType<string>().Distinct()]);
        if (update.AgentIds.Count == 0)
        {
            return;
        }

        var properties = new BasicProperties
        {
            ContentType = "application/json",
            Type = nameof(AgentsChanged),
        };
        try
        {
            await publisher.PublishAsync(AgentUpdateTopology.Exchange, string.Empty, properties,
                JsonSerializer.SerializeToUtf8Bytes(update, Json), cancellationToken);
        }
        catch (BrokerUnavailableException exception)
        {
            // The call itself goes on; the agents' pages catch up when they reconnect or the next update arrives.
            logger.LogWarning(exception, "Agent update for {AgentIds} not published", string.Join(",", update.AgentIds));
        }
    }
}
