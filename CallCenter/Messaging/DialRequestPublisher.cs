using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using StackExchange.Redis;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>Work for the dialer worker: dial requests on the dial queue, call commands on the command queue.</summary>
public interface IDialRequestPublisher
{
    /// <summary>
    /// Publishes persistently and returns once the broker confirmed it, or once it is kept in the Redis outbox because the
    /// publish failed; the outbox relay delivers it when the broker takes it again. Throws <see cref="OutboxFullException"/>
    /// when the publish failed and the outbox is full.
    /// </summary>
    Task PublishAsync(DialRequest request, CancellationToken cancellationToken);

    /// <inheritdoc cref="PublishAsync(DialRequest, CancellationToken)"/>
    Task PublishAsync(CallCommand command, CancellationToken cancellationToken);
}

public sealed class DialRequestPublisher(
    ConfirmedPublisher publisher, IConnectionMultiplexer redis, IOptions<MessagingOptions> options, TimeProvider time,
    ILogger<DialRequestPublisher> logger)
    : IDialRequestPublisher
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // KEYS: outbox. ARGV: limit, message. One step: a transaction watching the outbox would fail whenever the relay takes from
    // it meanwhile, and refuse the message as if the outbox were full.
    private const string KeepScript = """
        if redis.call('LLEN', KEYS[1]) < tonumber(ARGV[1]) then
          redis.call('RPUSH', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """;

    private readonly AlertThrottle _outboxFullAlert = new(time, AlertThrottle.DefaultInterval);

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
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Nothing is lost: the relay publishes it once the broker takes it; the consumer skips duplicates.
            await KeepAsync(message, exception);
        }
    }

    private async Task KeepAsync(OutboxMessage message, Exception failure)
    {
        var limit = options.Value.OutboxLimit;
        var kept = (long)await redis.GetDatabase().ScriptEvaluateAsync(KeepScript, [RedisKeys.Outbox], [limit, JsonSerializer.Serialize(message, Json)]);
        if (kept == 1)
        {
            logger.LogWarning(failure is BrokerUnavailableException ? null : failure, "{Reason}: {MessageType} {RequestId} kept in the outbox",
                failure.Message, message.Type, message.Id);
            return;
        }

        if (_outboxFullAlert.Allows())
        {
            logger.LogCritical("The outbox is full ({OutboxLimit} messages): RabbitMQ has not taken messages for long, and those it does not take now are refused",
                limit);
        }

        throw new OutboxFullException($"{message.Type} {message.Id} was not published ({failure.Message}) and the outbox is full.", failure);
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

/// <summary>The broker did not take a message and the outbox already holds <see cref="MessagingOptions.OutboxLimit"/> messages.</summary>
public sealed class OutboxFullException(string message, Exception innerException) : Exception(message, innerException);
