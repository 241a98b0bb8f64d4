using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>
/// Delivers what the publisher kept in the Redis outbox while the broker did not take it, oldest first. A message leaves the
/// outbox only after the broker confirmed it; if two relays send the same one, the worker's dial ledger skips the duplicate.
/// An entry that cannot be read, or that keeps failing while the ones behind it go through, is set aside
/// (<see cref="RedisKeys.OutboxSetAside"/>) so it holds up nothing.
/// </summary>
internal sealed class OutboxRelay(
    DialRequestPublisher publisher, IConnectionMultiplexer redis, IOptions<MessagingOptions> options, ILogger<OutboxRelay> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private RedisValue _failingHead = RedisValue.Null;
    private int _headFailures;

    private enum Outcome
    {
        Sent,
        SetAside,
        Failed,
    }

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

    /// <summary>Relays until the outbox is empty or the broker takes nothing.</summary>
    private async Task RelayAsync(CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        while (await db.ListGetByIndexAsync(RedisKeys.Outbox, 0) is { HasValue: true } head)
        {
            if (await RelayOneAsync(db, head, cancellationToken) != Outcome.Failed)
            {
                continue;
            }

            // The oldest failed. If the one behind it goes through, the oldest is what fails, not the broker.
            if (await db.ListGetByIndexAsync(RedisKeys.Outbox, 1) is not { HasValue: true } next)
            {
                return;
            }

            switch (await RelayOneAsync(db, next, cancellationToken))
            {
                case Outcome.Failed:
                    return;
                case Outcome.Sent when CountFailure(head) >= options.Value.DeliveryLimit:
                    await SetAsideAsync(db, head, Read(head), $"it failed {_headFailures} times while the messages behind it went through");
                    break;
            }
        }
    }

    private async Task<Outcome> RelayOneAsync(IDatabase db, RedisValue entry, CancellationToken cancellationToken)
    {
        if (Read(entry) is not { } message)
        {
            await SetAsideAsync(db, entry, null, "it is not a readable message");
            return Outcome.SetAside;
        }

        try
        {
            await publisher.SendAsync(message, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug(exception, "{MessageType} {RequestId} not relayed yet", message.Type, message.Id);
            return Outcome.Failed;
        }

        await db.ListRemoveAsync(RedisKeys.Outbox, entry, count: 1);
        logger.LogInformation("{MessageType} {RequestId} relayed from the outbox", message.Type, message.Id);
        return Outcome.Sent;
    }

    private int CountFailure(RedisValue head)
    {
        if (head != _failingHead)
        {
            _failingHead = head;
            _headFailures = 0;
        }

        return ++_headFailures;
    }

    private async Task SetAsideAsync(IDatabase db, RedisValue entry, OutboxMessage? message, string reason)
    {
        // Pushed before it is removed: stopped in between, the entry is in both lists rather than in neither.
        await db.ListRightPushAsync(RedisKeys.OutboxSetAside, entry);
        await db.ListRemoveAsync(RedisKeys.Outbox, entry, count: 1);
        logger.LogError("Outbox entry {MessageType} {RequestId} set aside to {SetAsideKey}: {Reason}",
            message?.Type ?? "(unreadable)", message?.Id ?? "(unknown)", (string?)RedisKeys.OutboxSetAside, reason);
    }

    private static OutboxMessage? Read(RedisValue entry)
    {
        try
        {
            return JsonSerializer.Deserialize<OutboxMessage>((string)entry!, DialRequestPublisher.Json) is
            { Type: nameof(DialRequest) or nameof(CallCommand), Id: not null, Body: not null } message
                ? message
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
