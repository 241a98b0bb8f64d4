using System.Text.Json;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using StackExchange.Redis;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>Work for the dialer worker: dial requests on the dial queue, call commands on the command queue.</summary>
public interface IDialRequestPublisher
{
    /// <summary>
    /// Publishes persistently and returns once the broker confirmed it, or once it is kept in the Redis outbox
    /// because the broker did not answer in time; the outbox relay delivers it when the broker is back.
    /// </summary>
    Task PublishAsync(DialRequest request, CancellationToken cancellationToken);

    /// <inheritdoc cref="PublishAsync(DialRequest, CancellationToken)"/>
    Task PublishAsync(CallCommand command, CancellationToken cancellationToken);
}

public sealed class DialRequestPublisher(ConfirmedPublisher publisher, IConnectionMultiplexer redis, ILogger<DialRequestPublisher> logger)
    : IDialRequestPublisher
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task PublishAsync(DialRequest request, CancellationToken cancellationToken) =>
        PublishAsync(new OutboxMessage(nameof(DialRequest), request.RequestId, JsonSerializer.Serialize(request, Json)), cancellationToken);

    public Task PublishAsync(CallCommand command, CancellationToken cancellationToken) =>
        PublishAsync(new OutboxMessage(nameof(CallCommand), command.RequestId, JsonSerializer.Serialize(command, Json)), cancellationToken);

    private async Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync(message, cancellationToken);
            logger.LogInformation("{MessageType} {RequestId} published", message.Type, message.Id);
        }
        catch (BrokerUnavailableException exception)
        {
            // Nothing is lost: the relay publishes it once the broker answers again; the consumer skips duplicates.
            await redis.GetDatabase().ListRightPushAsync(RedisKeys.Outbox, JsonSerializer.Serialize(message, Json));
            logger.LogWarning("{Reason}: {MessageType} {RequestId} kept in the outbox", exception.Message, message.Type, message.Id);
        }
    }

    /// <summary>Publishes one message; throws <see cref="BrokerUnavailableException"/> when the broker did not confirm it.</summary>
    internal async Task SendAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties
        {
            Persistent = true,
            MessageId = message.Id,
            ContentType = "application/json",
            Type = message.Type,
        };
        await publisher.PublishAsync(WorkQueueTopology.Exchange, WorkQueueTopology.RoutingKey(message.Type), properties,
            System.Text.Encoding.UTF8.GetBytes(message.Body), cancellationToken);
    }
}

/// <summary>A message waiting in the Redis outbox: its type (the AMQP type property), id and JSON body.</summary>
public sealed record OutboxMessage(string Type, string Id, string Body);
