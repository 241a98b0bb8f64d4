using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
/// once decided, dead-lettered when given up on or unreadable, and retried with backoff when its handler failed (Redis or the
/// broker failed under it) until <see cref="MessagingOptions.DeliveryLimit"/> tries, then dead-lettered.
/// </summary>
/// <remarks>
/// The count of failed tries travels in the message's <see cref="AttemptsHeader"/>: a retry publishes a copy with the count
/// raised to the back of the queue, after a backoff, and acknowledges the original (a message handed back to a quorum queue
/// would be delivered again at once); a message whose count reaches the limit is rejected, and the queue's dead-letter
/// exchange takes it. The broker's own count (<see cref="WorkQueueTopology.BrokerDeliveryLimit"/>) covers the deliveries no
/// consumer settled.
/// <para>
/// Stopping drains: the consumer takes no more messages, the ones in hand are finished and acknowledged (a message waiting out
/// a retry's backoff goes back to the queue at once), and only what is still in hand when the host's shutdown timeout runs out
/// is cancelled and left to the broker to deliver again.
/// </para>
/// </remarks>
public sealed class QueueConsumer<TMessage, THandler>(
    IConnection connection, THandler handler, QueueSubscription<TMessage> subscription, ConfirmedPublisher publisher,
    IOptions<MessagingOptions> options, TimeProvider time, ILogger<QueueConsumer<TMessage, THandler>> logger)
    : BackgroundService where THandler : IMessageHandler<TMessage>
{
    /// <summary>How many times the message's handler failed so far.</summary>
    public const string AttemptsHeader = "x-attempts";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly AlertThrottle _deadLetterCheck = new(time, AlertThrottle.DefaultInterval);

    // Cancelled only when the host stops waiting for the drain: the messages in hand are finished until then. Never disposed:
    // a handler still running past the host's wait may read it.
    private readonly CancellationTokenSource _handling = new();

    // The messages in hand, and whether the consumer still takes one: both under _gate, so none starts once the drain is done.
    private readonly Lock _gate = new();
    private int _inHand;
    private bool _closing;
    // Completed when the last message in hand is finished; a drain waits on a new one each time it finds some in hand.
    private TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(false, false, consumerDispatchConcurrency: subscription.Prefetch), stoppingToken);
        await WorkQueueTopology.DeclareAsync(channel, stoppingToken);
        await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: subscription.Prefetch, global: false, stoppingToken);

        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            lock (_gate)
            {
                if (_closing)
                {
                    // Delivered as the channel closes: unacknowledged, the broker delivers it again.
                    return;
                }

                _inHand++;
            }

            try
            {
                await HandleAsync(channel, delivery, stoppingToken);
            }
            finally
            {
                lock (_gate)
                {
                    if (--_inHand == 0)
                    {
                        _drained.TrySetResult();
                    }
                }
            }
        };
        var consumerTag = await channel.BasicConsumeAsync(subscription.Queue, autoAck: false, consumer, stoppingToken);

        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            await DrainAsync(channel, consumerTag);
        }
    }

    /// <summary>Past the host's shutdown timeout, what is still in hand is cancelled.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await base.StopAsync(cancellationToken);
        }
        finally
        {
            // The host stopped waiting for the drain.
            if (cancellationToken.IsCancellationRequested)
            {
                await _handling.CancelAsync();
            }
        }
    }

    private async Task DrainAsync(IChannel channel, string consumerTag)
    {
        int inHand;
        lock (_gate)
        {
            inHand = _inHand;
        }

        logger.LogInformation("Stopping: {Queue} takes no more messages; the {InHand} in hand are finished first", subscription.Queue, inHand);
        try
        {
            // No more deliveries; the ones in hand are finished and acknowledged on this channel. One the client had already
            // received may still start: the drain ends only when none is in hand as the consumer closes.
            await channel.BasicCancelAsync(consumerTag, noWait: true, _handling.Token);
            while (true)
            {
                Task drained;
                lock (_gate)
                {
                    if (_inHand == 0)
                    {
                        _closing = true;
                        break;
                    }

                    _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    drained = _drained.Task;
                }

                await drained.WaitAsync(_handling.Token);
            }
        }
        catch (OperationCanceledException)
        {
            lock (_gate)
            {
                inHand = _inHand;
            }

            logger.LogWarning("{InHand} messages on {Queue} were still in hand when the shutdown timeout ran out; the broker delivers them again",
                inHand, subscription.Queue);
        }
        catch (Exception exception) when (exception is RabbitMQ.Client.Exceptions.AlreadyClosedException or RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            // The channel went with the broker: what was in hand is delivered again.
            logger.LogWarning(exception, "The channel of {Queue} closed while stopping", subscription.Queue);
        }
        finally
        {
            lock (_gate)
            {
                _closing = true;
            }
        }

        try
        {
            await channel.CloseAsync(CancellationToken.None);
        }
        catch (Exception exception) when (exception is RabbitMQ.Client.Exceptions.AlreadyClosedException or ObjectDisposedException)
        {
            // Closed with its connection already (the host went on after its shutdown timeout).
        }
    }

    private async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery, CancellationToken stoppingToken)
    {
        var cancellationToken = _handling.Token;
        try
        {
            var message = JsonSerializer.Deserialize<TMessage>(delivery.Body.Span, Json) ?? throw new JsonException("empty message");
            if (await handler.HandleAsync(message, cancellationToken))
            {
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
            }
            else
            {
                await DeadLetterAsync(channel, delivery);
            }
        }
        catch (JsonException exception)
        {
            logger.LogError(exception, "Message {MessageId} on {Queue} is not readable; dead-lettered", delivery.BasicProperties.MessageId, subscription.Queue);
            await DeadLetterAsync(channel, delivery);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The shutdown timeout ran out with it in hand: the broker delivers it again, to another worker.
        }
        catch (Exception exception)
        {
            await RetryOrDeadLetterAsync(channel, delivery, exception, stoppingToken, cancellationToken);
        }
    }

    private async Task RetryOrDeadLetterAsync(IChannel channel, BasicDeliverEventArgs delivery, Exception failure,
        CancellationToken stoppingToken, CancellationToken cancellationToken)
    {
        var attempts = FailedAttempts(delivery.BasicProperties) + 1;
        var limit = options.Value.DeliveryLimit;
        if (attempts >= limit)
        {
            logger.LogError(failure, "Message {MessageId} on {Queue} failed {Attempts} times; dead-lettered",
                delivery.BasicProperties.MessageId, subscription.Queue, attempts);
            await DeadLetterAsync(channel, delivery);
            return;
        }

        var delay = options.Value.RetryDelayBefore(attempts);
        logger.LogWarning(failure, "Message {MessageId} on {Queue} failed (try {Attempts} of {DeliveryLimit}); retried in {RetryDelay}",
            delivery.BasicProperties.MessageId, subscription.Queue, attempts, limit, delay);
        try
        {
            try
            {
                await Task.Delay(delay, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: back to the queue now (its count unchanged), for another worker, rather than after the wait.
                await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None);
                return;
            }

            var retry = new BasicProperties(delivery.BasicProperties)
            {
                Headers = new Dictionary<string, object?>(delivery.BasicProperties.Headers ?? new Dictionary<string, object?>())
                {
                    [AttemptsHeader] = attempts,
                },
            };
            await publisher.PublishAsync(delivery.Exchange, delivery.RoutingKey, retry, delivery.Body, cancellationToken);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the broker redelivers it to another worker.
        }
        catch (Exception exception)
        {
            // The copy was not confirmed: the original goes back instead (its count unchanged) and is tried again.
            logger.LogWarning(exception, "Retry of message {MessageId} on {Queue} not published; requeued", delivery.BasicProperties.MessageId, subscription.Queue);
            await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None);
        }
    }

    private static int FailedAttempts(IReadOnlyBasicProperties properties) =>
        properties.Headers?.TryGetValue(AttemptsHeader, out var value) != true ? 0 : value switch
        {
            int count => Math.Max(count, 0),
            long count => (int)Math.Clamp(count, 0, int.MaxValue),
            byte[] text when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) => count,
            _ => 0,
        };

    private async Task DeadLetterAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        await channel.BasicRejectAsync(delivery.DeliveryTag, requeue: false, CancellationToken.None);
        if (!_deadLetterCheck.Allows())
        {
            return;
        }

        try
        {
            // A channel of its own: a failed check must not close the consumer's.
            await using var check = await connection.CreateChannelAsync();
            var deadLetters = await check.QueueDeclarePassiveAsync(WorkQueueTopology.DeadLetterQueue);
            if (deadLetters.MessageCount >= options.Value.DeadLetterAlertLength)
            {
                logger.LogCritical("The dead-letter queue {Queue} holds {MessageCount} messages the worker gave up on",
                    WorkQueueTopology.DeadLetterQueue, deadLetters.MessageCount);
            }
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "The dead-letter queue's length was not checked");
        }
    }
}

/// <summary>Which queue a message type is read from, and how many are handled at once.</summary>
public sealed record QueueSubscription<TMessage>(string Queue, ushort Prefetch);

public static class QueueConsumerExtensions
{
    /// <summary>Consumes <paramref name="queue"/> with <typeparamref name="THandler"/>, <paramref name="prefetch"/> messages at a time.</summary>
    public static IHostApplicationBuilder AddSubscription<TMessage, THandler>(this IHostApplicationBuilder builder, string queue, ushort prefetch)
        where THandler : class, IMessageHandler<TMessage> =>
        builder.AddSubscription<TMessage, THandler>(queue, _ => prefetch);

    /// <summary>Consumes <paramref name="queue"/> with <typeparamref name="THandler"/>, as many at a time as a setting says.</summary>
    public static IHostApplicationBuilder AddSubscription<TMessage, THandler>(
        this IHostApplicationBuilder builder, string queue, Func<IServiceProvider, ushort> prefetch)
        where THandler : class, IMessageHandler<TMessage>
    {
        builder.Services.AddSingleton<THandler>();
        builder.Services.AddSingleton(services => new QueueSubscription<TMessage>(queue, prefetch(services)));
        builder.Services.AddHostedService<QueueConsumer<TMessage, THandler>>();
        // A service's consumers drain side by side on stop, each within the host's shutdown timeout.
        builder.Services.Configure<HostOptions>(options => options.ServicesStopConcurrently = true);
        return builder;
    }
}
