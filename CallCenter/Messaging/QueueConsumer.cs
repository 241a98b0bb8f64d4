using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>Handles one message type.</summary>
public interface IMessageHandler<in TMessage>
{
    /// <summary>True when the message is decided (acknowledged); false when it is given up on (dead-lettered).</summary>
    Task<bool> HandleAsync(TMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// The one consumer of the worker's queues: it reads one message type and hands it to its handler. A message is acknowledged
/// once decided, dead-lettered when given up on or unreadable, and requeued when Redis or the broker failed under it.
/// </summary>
public sealed class QueueConsumer<TMessage, THandler>(
    IConnection connection, THandler handler, QueueSubscription<TMessage> subscription, ILogger<QueueConsumer<TMessage, THandler>> logger)
    : BackgroundService where THandler : IMessageHandler<TMessage>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(false, false, consumerDispatchConcurrency: subscription.Prefetch), stoppingToken);
        await WorkQueueTopology.DeclareAsync(channel, stoppingToken);
        await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: subscription.Prefetch, global: false, stoppingToken);

        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) => await HandleAsync(channel, delivery, stoppingToken);
        await channel.BasicConsumeAsync(subscription.Queue, autoAck: false, consumer, stoppingToken);

        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            await channel.CloseAsync(CancellationToken.None);
        }
    }

    private async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery, CancellationToken cancellationToken)
    {
        try
        {
            var message = JsonSerializer.Deserialize<TMessage>(delivery.Body.Span, Json) ?? throw new JsonException("empty message");
            if (await handler.HandleAsync(message, cancellationToken))
            {
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
            }
            else
            {
                await channel.BasicRejectAsync(delivery.DeliveryTag, requeue: false, CancellationToken.None);
            }
        }
        catch (JsonException exception)
        {
            logger.LogError(exception, "Message {MessageId} on {Queue} is not readable; dead-lettered", delivery.BasicProperties.MessageId, subscription.Queue);
            await channel.BasicRejectAsync(delivery.DeliveryTag, requeue: false, CancellationToken.None);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the broker redelivers it to another worker.
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Message {MessageId} on {Queue} could not be handled; requeued", delivery.BasicProperties.MessageId, subscription.Queue);
            await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None);
        }
    }
}

/// <summary>Which queue a message type is read from, and how many are handled at once.</summary>
public sealed record QueueSubscription<TMessage>(string Queue, ushort Prefetch);

public static class QueueConsumerExtensions
{
    /// <summary>Consumes <paramref name="queue"/> with <typeparamref name="THandler"/>, <paramref name="prefetch"/> messages at a time.</summary>
    public static IHostApplicationBuilder AddSubscription<TMessage, THandler>(this IHostApplicationBuilder builder, string queue, ushort prefetch)
        where THandler : class, IMessageHandler<TMessage>
    {
        builder.Services.AddSingleton<THandler>();
        builder.Services.AddSingleton(new QueueSubscription<TMessage>(queue, prefetch));
        builder.Services.AddHostedService<QueueConsumer<TMessage, THandler>>();
        return builder;
    }
}
