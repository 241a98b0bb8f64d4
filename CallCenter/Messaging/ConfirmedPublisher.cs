using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>
/// Publishes on the one long-lived connection through a small pool of channels with publisher confirms,
/// so concurrent requests never open a connection or channel of their own.
/// </summary>
public sealed class ConfirmedPublisher : IAsyncDisposable
{
    /// <summary>
    /// The most channels the publisher has open (or opening) at once: each carries one publish until its confirm, so a burst of
    /// webhooks on a busy machine, whose confirms take tens of milliseconds, must not queue for a channel past
    /// <see cref="BrokerTimeout"/> (a publish that times out goes to the outbox and may reach the queue twice).
    /// </summary>
    public const int PoolSize = 32;

    /// <summary>How long a publish waits for the broker's confirm before the broker counts as unavailable.</summary>
    public static readonly TimeSpan BrokerTimeout = TimeSpan.FromSeconds(1);

    private readonly IConnection _connection;
    private readonly ILogger<ConfirmedPublisher> _logger;
    private readonly Channel<IChannel> _pool = Channel.CreateBounded<IChannel>(PoolSize);
    private int _channels;
    private volatile string? _blockedReason;
    private volatile bool _disposed;

    public ConfirmedPublisher(IConnection connection, ILogger<ConfirmedPublisher> logger)
    {
        _connection = connection;
        _logger = logger;
        _connection.ConnectionBlockedAsync += OnBlockedAsync;
        _connection.ConnectionUnblockedAsync += OnUnblockedAsync;
        _connection.RecoverySucceededAsync += OnUnblockedAsync;
    }

    /// <summary>
    /// Publishes as mandatory and returns once the broker confirmed it. Throws <see cref="BrokerUnavailableException"/> when
    /// the broker is unreachable, blocks publishers, refuses the message or does not confirm it within <see cref="BrokerTimeout"/>.
    /// </summary>
    public async Task PublishAsync(string exchange, string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken)
    {
        if (!_connection.IsOpen)
        {
            // While the connection recovers, no channel is opened: the client reopens the pooled ones itself.
            throw new BrokerUnavailableException("The connection to RabbitMQ is not open.", null);
        }

        if (_blockedReason is { } reason)
        {
            // A blocked connection is not read by the broker: a publish would only wait for its timeout, a new channel forever.
            throw new BrokerUnavailableException($"RabbitMQ blocks publishers ({reason}).", null);
        }

        CarryTrace(properties);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(BrokerTimeout);
        IChannel? channel = null;
        try
        {
            channel = await RentAsync(deadline.Token);
            await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, body, deadline.Token);
        }
        catch (PublishException exception)
        {
            // The broker answered (a nack, or no queue for the message): the channel stays usable.
            Return(channel!);
            throw new BrokerUnavailableException(exception.IsReturn
                ? $"RabbitMQ has no queue for routing key {routingKey} on {exchange}."
                : "RabbitMQ refused the message.", exception);
        }
        catch (Exception exception)
        {
            if (channel is not null)
            {
                // No confirm in time, or closed under the publish: the channel's state is unknown, so it is closed and replaced, not reused.
                Retire(channel);
            }

            if (exception is OperationInterruptedException or AlreadyClosedException or BrokerUnreachableException or IOException
                or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new BrokerUnavailableException($"RabbitMQ did not confirm the message ({exception.GetType().Name}).", exception);
            }

            throw;
        }

        Return(channel);
    }

    /// <summary>
    /// Puts the current trace into the message's headers. RabbitMQ.Client does so only from a publish span it records, and
    /// with no telemetry exported none is recorded; the trace must still reach the worker and its Twilio request. A publish
    /// span, when there is one, writes its own context over this.
    /// </summary>
    private static void CarryTrace(BasicProperties properties)
    {
        if (Activity.Current is not { } current || properties.Headers?.ContainsKey("traceparent") == true)
        {
            return;
        }

        var headers = properties.Headers ??= new Dictionary<string, object?>();
        DistributedContextPropagator.Current.Inject(current, headers, static (carrier, name, value) =>
        {
            if (carrier is IDictionary<string, object?> entries && value is not null)
            {
                entries[name] = System.Text.Encoding.UTF8.GetBytes(value);
            }
        });
    }

    private async Task<IChannel> RentAsync(CancellationToken cancellationToken)
    {
        while (_pool.Reader.TryRead(out var pooled))
        {
            if (pooled.IsOpen)
            {
                return pooled;
            }

            Retire(pooled);
        }

        if (TryReserve())
        {
            // Opened without the publish's deadline: a channel the broker opens late joins the pool instead of staying open unused.
            var opening = OpenAsync();
            try
            {
                return await opening.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                _ = PoolWhenOpenAsync(opening);
                throw;
            }
        }

        return await _pool.Reader.ReadAsync(cancellationToken);
    }

    private bool TryReserve()
    {
        var channels = Volatile.Read(ref _channels);
        while (channels < PoolSize)
        {
            var seen = Interlocked.CompareExchange(ref _channels, channels + 1, channels);
            if (seen == channels)
            {
                return true;
            }

            channels = seen;
        }

        return false;
    }

    private async Task<IChannel> OpenAsync()
    {
        try
        {
            return await _connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        }
        catch
        {
            Interlocked.Decrement(ref _channels);
            throw;
        }
    }

    private async Task PoolWhenOpenAsync(Task<IChannel> opening)
    {
        try
        {
            Return(await opening);
        }
        catch (Exception exception)
        {
            _logger.LogDebug(exception, "Publisher channel not opened");
        }
    }

    private void Return(IChannel channel)
    {
        if (_disposed || !_pool.Writer.TryWrite(channel))
        {
            Retire(channel);
        }
    }

    private void Retire(IChannel channel)
    {
        Interlocked.Decrement(ref _channels);
        _ = DisposeChannelAsync(channel);
    }

    /// <summary>
    /// Closes the channel in the background: on a blocked connection the close waits for the broker. A channel whose connection
    /// is down is not closed (that would interfere with the client's recovery), only marked disposed, so recovery skips it.
    /// </summary>
    private async Task DisposeChannelAsync(IChannel channel)
    {
        try
        {
            await channel.DisposeAsync();
        }
        catch (Exception exception)
        {
            _logger.LogDebug(exception, "Publisher channel not closed cleanly");
        }
    }

    private Task OnBlockedAsync(object sender, ConnectionBlockedEventArgs blocked)
    {
        _blockedReason = blocked.Reason;
        _logger.LogWarning("RabbitMQ blocks publishing ({Reason})", blocked.Reason);
        return Task.CompletedTask;
    }

    private Task OnUnblockedAsync(object sender, AsyncEventArgs unblocked)
    {
        if (_blockedReason is not null)
        {
            _blockedReason = null;
            _logger.LogInformation("RabbitMQ takes messages again");
        }

        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        _connection.ConnectionBlockedAsync -= OnBlockedAsync;
        _connection.ConnectionUnblockedAsync -= OnUnblockedAsync;
        _connection.RecoverySucceededAsync -= OnUnblockedAsync;
        while (_pool.Reader.TryRead(out var channel))
        {
            await channel.DisposeAsync();
        }
    }
}

/// <summary>The broker could not take a message now: unreachable, blocking publishers, refusing it, or not confirming it in time.</summary>
public sealed class BrokerUnavailableException(string message, Exception? innerException) : Exception(message, innerException);
