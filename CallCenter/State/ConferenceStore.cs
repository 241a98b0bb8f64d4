using StackExchange.Redis;

namespace WarmTransfer.CallCenter.State;

public static class ConferenceState
{
    public const string Waiting = "waiting";
    public const string Connected = "connected";
}

public static class TransferState
{
    public const string Ringing = "ringing";
    public const string Consulting = "consulting";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";
    public const string Failed = "failed";
}

/// <summary>A customer's conference, named after the customer's CallSid.</summary>
/// <param name="TransferFailure">Why the last transfer failed: the target leg's final status (busy, no-answer, failed, canceled).</param>
/// <param name="ConnectedAt">When the first agent joined the customer.</param>
/// <param name="OfferedAgent">The agent last dialed to take the customer as first agent.</param>
/// <param name="Ending">An agent ended the call for everyone: the legs leaving now are not dropped agents.</param>
/// <param name="UnholdOnJoin">The customer was put on hold because no agent was with them: the next agent to join resumes them.</param>
public sealed record ConferenceRecord(
    string Name,
    string CustomerCallSid,
    string? CustomerNumber,
    string State,
    string? ConferenceSid,
    string? FirstAgent,
    string? TransferAgent,
    string? TransferState,
    string? TransferFailure,
    bool CustomerOnHold,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ConnectedAt,
    string? OfferedAgent,
    bool Ending,
    bool UnholdOnJoin);

public sealed class ConferenceStore(IConnectionMultiplexer redis, TimeProvider time)
{
    private IDatabase Db => redis.GetDatabase();

    public async Task CreateAsync(string name, string customerCallSid, string? customerNumber) =>
        await Db.HashSetAsync(RedisKeys.Conference(name),
        [
            new("customerCallSid", customerCallSid),
            new("customerNumber", customerNumber ?? string.Empty),
            new("state", ConferenceState.Waiting),
            new("createdAt", time.GetUtcNow().ToUnixTimeMilliseconds()),
        ]);

    public async Task<ConferenceRecord?> GetAsync(string name)
    {
        var entries = await Db.HashGetAllAsync(RedisKeys.Conference(name));
        if (entries.Length == 0)
        {
            return null;
        }

        var fields = entries.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
        return new ConferenceRecord(
            name,
            fields.GetValueOrDefault("customerCallSid", string.Empty),
            fields.GetValueOrDefault("customerNumber") is { Length: > 0 } number ? number : null,
            fields.GetValueOrDefault("state", ConferenceState.Waiting),
            fields.GetValueOrDefault("conferenceSid"),
            fields.GetValueOrDefault("firstAgent") is { Length: > 0 } firstAgent ? firstAgent : null,
            fields.GetValueOrDefault("transferAgent"),
            fields.GetValueOrDefault("transferState"),
            fields.GetValueOrDefault("transferFailure") is { Length: > 0 } failure ? failure : null,
            fields.GetValueOrDefault("customerOnHold") == "true",
            Timestamp(fields.GetValueOrDefault("createdAt")) ?? DateTimeOffset.UnixEpoch,
            Timestamp(fields.GetValueOrDefault("connectedAt")),
            fields.GetValueOrDefault("offeredAgent"),
            fields.GetValueOrDefault("ending") == "true",
            fields.GetValueOrDefault("unholdOnJoin") == "true");
    }

    /// <summary>Now, as the conference stores times: Unix milliseconds.</summary>
    public string Now() => time.GetUtcNow().ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static DateTimeOffset? Timestamp(string? milliseconds) =>
        long.TryParse(milliseconds, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public async Task SetAsync(string name, params (string Field, string Value)[] fields)
    {
        // Only a conference that still exists is updated: late callbacks must not resurrect an ended one.
        if (await Db.KeyExistsAsync(RedisKeys.Conference(name)))
        {
            await Db.HashSetAsync(RedisKeys.Conference(name), [.. fields.Select(f => new HashEntry(f.Field, f.Value))]);
        }
    }

    /// <summary>The conference ended: its record goes, and so does its place in the waiting line (true if it had one).</summary>
    public async Task<bool> DeleteAsync(string name)
    {
        var transaction = Db.CreateTransaction();
        _ = transaction.KeyDeleteAsync(RedisKeys.Conference(name));
        var removed = transaction.ListRemoveAsync(RedisKeys.WaitingCallers, name);
        await transaction.ExecuteAsync();
        return await removed > 0;
    }

    public async Task<IReadOnlyList<string>> WaitingAsync() =>
        [.. (await Db.ListRangeAsync(RedisKeys.WaitingCallers)).Select(v => v.ToString())];
}
