using System.Globalization;
using StackExchange.Redis;
using WarmTransfer.CallCenter.Domain;

namespace WarmTransfer.CallCenter.State;

/// <summary>
/// The contact center's queue log in Redis (<see cref="RedisKeys.ContactEvents"/>), a stream trimmed to <see cref="Retention"/>.
/// Agent transitions write their events into it as they happen; a session's transitions keep theirs in the session's slot,
/// from which they are copied right after (<see cref="SessionStore.CopyPendingEventsAsync"/>), each exactly once.
/// </summary>
public sealed class ContactEventLog(IConnectionMultiplexer redis)
{
    /// <summary>The retention (seven days) in milliseconds, as the scripts that record events are written with it.</summary>
    internal const string RetentionMilliseconds = "604800000";

    public static readonly TimeSpan Retention = TimeSpan.FromMilliseconds(long.Parse(RetentionMilliseconds, CultureInfo.InvariantCulture));

    /// <summary>Events given to a consumer and not acknowledged for this long are taken over by another.</summary>
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(1);

    private static readonly string[] FieldNames = ["kind", "session", "agent", "at", "duration_ms", "detail", "hold_ms"];

    /// <summary>The field names as a Lua table, for the scripts that record events.</summary>
    internal static string FieldNamesLua => "{ " + string.Join(", ", FieldNames.Select(name => $"'{name}'")) + " }";

    /// <summary>The stream id before which entries are trimmed.</summary>
    internal static RedisValue OldestKept(DateTimeOffset now) => $"{(now - Retention).ToUnixTimeMilliseconds()}-0";

    /// <summary>An event's values, in the order of <see cref="FieldNames"/> ('' for none).</summary>
    internal static IEnumerable<RedisValue> Fields(ContactEvent e) =>
    [
        e.Kind.ToString(),
        e.SessionId,
        e.AgentId ?? string.Empty,
        e.At.ToUnixTimeMilliseconds(),
        e.Duration is { } duration ? (long)duration.TotalMilliseconds : RedisValue.EmptyString,
        e.Detail ?? string.Empty,
        e.Hold is { } hold ? (long)hold.TotalMilliseconds : RedisValue.EmptyString,
    ];

    /// <summary>Events after the stream id <paramref name="after"/> ("0" for the oldest kept), oldest first, with their ids.</summary>
    public async Task<IReadOnlyList<(string Id, ContactEvent Event)>> ReadAsync(string after = "0", int count = 1000)
    {
        var entries = await redis.GetDatabase().StreamRangeAsync(RedisKeys.ContactEvents, minId: $"({after}", count: count);
        return [.. entries.Select(entry => ((string)entry.Id!, Parse(entry)))];
    }

    /// <summary>The consumer group <paramref name="group"/> exists (new ones start with the events after now).</summary>
    public async Task EnsureGroupAsync(string group)
    {
        try
        {
            await redis.GetDatabase().StreamCreateConsumerGroupAsync(RedisKeys.ContactEvents, group, StreamPosition.NewMessages, createStream: true);
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // It exists: it goes on where it was.
        }
    }

    /// <summary>
    /// The next events for <paramref name="consumer"/> of <paramref name="group"/>: first those it was given and did not
    /// acknowledge (it stopped before it had), then new ones.
    /// </summary>
    public async Task<IReadOnlyList<(string Id, ContactEvent Event)>> ReadGroupAsync(string group, string consumer, int count)
    {
        var db = redis.GetDatabase();
        var entries = await db.StreamReadGroupAsync(RedisKeys.ContactEvents, group, consumer, "0", count);
        if (entries.Length == 0)
        {
            // Given to a consumer that stopped (a replica gone) a while ago and never acknowledged: taken over.
            entries = (await db.StreamAutoClaimAsync(RedisKeys.ContactEvents, group, consumer, (long)AbandonedAfter.TotalMilliseconds, "0-0", count))
                .ClaimedEntries;
        }

        if (entries.Length == 0)
        {
            entries = await db.StreamReadGroupAsync(RedisKeys.ContactEvents, group, consumer, StreamPosition.NewMessages, count);
        }

        return [.. entries.Select(entry => ((string)entry.Id!, Parse(entry)))];
    }

    public Task AcknowledgeAsync(string group, IEnumerable<string> ids) =>
        redis.GetDatabase().StreamAcknowledgeAsync(RedisKeys.ContactEvents, group, [.. ids.Select(id => (RedisValue)id)]);

    private static ContactEvent Parse(StreamEntry entry)
    {
        string Field(string name) => (string?)entry[name] ?? string.Empty;
        TimeSpan? Millis(string name) => long.TryParse(Field(name), CultureInfo.InvariantCulture, out var ms) ? TimeSpan.FromMilliseconds(ms) : null;
        return new ContactEvent(
            Enum.Parse<ContactEventKind>(Field("kind")),
            Field("session"),
            Field("agent") is { Length: > 0 } agent ? agent : null,
            DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(Field("at"), CultureInfo.InvariantCulture)),
            Millis("duration_ms"),
            Field("detail") is { Length: > 0 } detail ? detail : null,
            Millis("hold_ms"));
    }
}
