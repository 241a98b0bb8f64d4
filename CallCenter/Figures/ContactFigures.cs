using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Figures;

/// <summary>
/// Turns the contact events into the meter's counters and histograms, each event once across every worker replica (a Redis
/// consumer group: an event is acknowledged once recorded, and one a stopped replica was given is taken over), and reads the
/// line for the gauges when they are exported.
/// </summary>
public sealed class ContactFigures(
    ContactEventLog events, CallCenterMetrics metrics, IConnectionMultiplexer redis, TimeProvider time, ILogger<ContactFigures> logger) : BackgroundService
{
    public const string Group = "figures";

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    /// <summary>The gauges read the line at most this often, however many of them are exported at once.</summary>
    private static readonly TimeSpan LineReadEvery = TimeSpan.FromMilliseconds(500);

    private const int Batch = 200;

    private readonly string _consumer = $"{Environment.MachineName}:{Environment.ProcessId}";
    private readonly Lock _lineLock = new();
    private (DateTimeOffset At, LineFigures Figures)? _line;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        metrics.ObserveLine(ReadLine);
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await events.EnsureGroupAsync(Group);
                while (await events.ReadGroupAsync(Group, _consumer, Batch) is { Count: > 0 } batch)
                {
                    foreach (var (_, happened) in batch)
                    {
                        metrics.Record(happened);
                    }

                    await events.AcknowledgeAsync(Group, batch.Select(entry => entry.Id));
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "Contact events not counted yet; trying again in {Interval}", Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>The line now: read from Redis, at most every <see cref="LineReadEvery"/>.</summary>
    private LineFigures ReadLine()
    {
        lock (_lineLock)
        {
            var now = time.GetUtcNow();
            if (_line is { } cached && now - cached.At < LineReadEvery)
            {
                return cached.Figures;
            }

            var db = redis.GetDatabase();
            var waiting = (int)db.ListLength(RedisKeys.WaitingCallers);
            var joined = db.HashValues(RedisKeys.CallersJoined).Select(value => (long)value).DefaultIfEmpty(now.ToUnixTimeMilliseconds()).Min();
            var activities = db.HashValues(RedisKeys.Agents)
                .Select(value => Activity((string)value!))
                .GroupBy(activity => activity)
                .ToDictionary(group => group.Key, group => group.Count());
            var figures = new LineFigures(waiting, now - DateTimeOffset.FromUnixTimeMilliseconds(joined), activities,
                (int)db.SetLength(RedisKeys.ConnectedSessions), (int)db.SetLength(RedisKeys.TransferringSessions));
            _line = (now, figures);
            return figures;
        }
    }

    /// <summary>The activity (status) of one agent's entry in the agents hash.</summary>
    private static string Activity(string agent)
    {
        using var entry = JsonDocument.Parse(agent);
        return entry.RootElement.TryGetProperty("status", out var status) ? status.GetString() ?? "offline" : "offline";
    }
}
