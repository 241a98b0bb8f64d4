using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>
/// Delivers what the publisher kept in the Redis outbox while the broker was unreachable, oldest first. A message leaves the
/// outbox only after the broker confirmed it; if two relays send the same one, the worker's dial ledger skips the duplicate.
/// </summary>
internal sealed class OutboxRelay(DialRequestPublisher publisher, IConnectionMultiplexer redis, ILogger<OutboxRelay> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RelayAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogDebug(exception, "Outbox not relayed yet");
            }
        }
    }

    private async Task RelayAsync(CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        while (await db.ListGetByIndexAsync(RedisKeys.Outbox, 0) is { HasValue: true } entry)
        {
            var message = JsonSerializer.Deserialize<OutboxMessage>((string)entry!, DialRequestPublisher.Json)!;
            await publisher.SendAsync(message, cancellationToken);
            await db.ListRemoveAsync(RedisKeys.Outbox, entry, count: 1);
            logger.LogInformation("{MessageType} {RequestId} relayed from the outbox", message.Type, message.Id);
        }
    }
}
