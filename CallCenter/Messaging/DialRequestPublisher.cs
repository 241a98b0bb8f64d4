using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace WarmTransfer.CallCenter.Messaging;

public interface IDialRequestPublisher
{
    /// <summary>Publishes persistently and returns once the broker confirmed it.</summary>
    Task PublishAsync(DialRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// Publishes dial requests on the one long-lived connection, through a small pool of channels with
/// publisher confirms, so concurrent webhook requests never open a connection or channel of their own.
/// </summary>
public sealed class DialRequestPublisher(IConnection connection, ILogger<DialRequestPublisher> logger)
    : IDialRequestPublisher, IAsyncDisposable
{
    private const int PoolSize = 4;
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Channel<IChannel> _pool = Channel.CreateBounded<IChannel>(PoolSize);
    private readonly SemaphoreSlim _creating = new(1, 1);
    private int _created;

    public async Task PublishAsync(DialRequest request, CancellationToken cancellationToken)
    {
        var channel = await RentAsync(cancellationToken);
        try
        {
            var properties = new BasicProperties
            {
                Persistent = true,
                MessageId = request.RequestId,
                ContentType = "application/json",
                Type = nameof(DialRequest),
            };
            var body = JsonSerializer.SerializeToUtf8Bytes(request, Json);
            await channel.BasicPublishAsync(DialQueueTopology.Exchange, DialQueueTopology.RoutingKey, mandatory: true,
                properties, body, cancellationToken);
            logger.LogInformation("Dial request {RequestId} published: {AgentId} for {ConferenceName} as {Role}",
                request.RequestId, request.AgentId, request.ConferenceName, request.Role);
        }
        catch
        {
            await channel.DisposeAsync();
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

            await pooled.DisposeAsync();
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
