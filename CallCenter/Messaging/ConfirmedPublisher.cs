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

    /// <summary>Publishes as mandatory and returns once the broker confirmed it.</summary>
    public async Task PublishAsync(string exchange, string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken)
    {
        if (!connection.IsOpen)
        {
            // While the connection recovers, no channel is opened or closed: closing one would abort the client's recovery.
            throw new BrokerUnreachableException(new IOException("The connection to RabbitMQ is not open."));
        }

        var channel = await RentAsync(cancellationToken);
        try
        {
            await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, body, cancellationToken);
        }
        catch
        {
            // Left to the client (it recovers or closes it with the connection), and replaced by a new one later.
            Interlocked.Decrement(ref _created);
            throw;
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
                _created++;
                return await connection.CreateChannelAsync(
                    new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
                    cancellationToken);
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
