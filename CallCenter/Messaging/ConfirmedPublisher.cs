using System.Threading.Channels;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>
/// Publishes on the one long-lived connection through a small pool of channels with publisher confirms,
/// so concurrent requests never open a connection or channel of their own.
/// </summary>
public sealed class ConfirmedPublisher(IConnection connection) : IAsyncDisposable
{
    private const int PoolSize = 4;

    private readonly Channel<IChannel> _pool = Channel.CreateBounded<IChannel>(PoolSize);
    private readonly SemaphoreSlim _creating = new(1, 1);
    private int _created;

    /// <summary>How long a publish waits for the broker's confirm before the broker counts as unavailable.</summary>
    public static readonly TimeSpan BrokerTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Publishes as mandatory and returns once the broker confirmed it. Throws <see cref="BrokerUnavailableException"/> when
    /// the broker is unreachable, refuses the message or does not confirm it within <see cref="BrokerTimeout"/>.
    /// </summary>
    public async Task PublishAsync(string exchange, string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken)
    {
        if (!connection.IsOpen)
        {
            // While the connection recovers, no channel is opened or closed: closing one would abort the client's recovery.
            throw new BrokerUnavailableException("The connection to RabbitMQ is not open.", null);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(BrokerTimeout);
        IChannel? channel = null;
        try
        {
            channel = await RentAsync(deadline.Token);
            await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, body, deadline.Token);
        }
        catch (Exception exception) when (exception is OperationInterruptedException or AlreadyClosedException or PublishException
            or BrokerUnreachableException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            if (channel is not null)
            {
                // Left to the client (it recovers or closes it with the connection), and replaced by a new one later.
                Interlocked.Decrement(ref _created);
            }

            throw new BrokerUnavailableException($"RabbitMQ did not confirm the message ({exception.GetType().Name}).", exception);
        }

        _pool.Writer.TryWrite(channel);
    }

    private async Task<IChannel> RentAsync(CancellationToken cancellationToken)
    {
        while (_pool.Reader.TryRead(out var pooled))
        {
            if (pooled.IsOpen)
            {
                return pooled;
            }

            Interlocked.Decrement(ref _created);
        }

        await _creating.WaitAsync(cancellationToken);
        try
        {
            if (_created < PoolSize)
            {
                var channel = await connection.CreateChannelAsync(
                    new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
                    cancellationToken);
                Interlocked.Increment(ref _created);
                return channel;
            }
        }
        finally
        {
            _creating.Release();
        }

        return await _pool.Reader.ReadAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        while (_pool.Reader.TryRead(out var channel))
        {
            await channel.DisposeAsync();
        }
    }
}

/// <summary>The broker could not take a message now: unreachable, refusing it, or not confirming it in time.</summary>
public sealed class BrokerUnavailableException(string message, Exception? innerException) : Exception(message, innerException);
