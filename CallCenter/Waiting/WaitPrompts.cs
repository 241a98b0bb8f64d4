using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Waiting;

/// <summary>
/// The next pass of a waiting caller's wait TwiML: what they hear (<see cref="WaitAnnouncement"/>), from their place in line and
/// the line's history. What they were told is kept with their session (written only here: a caller's passes come one after
/// another, each after the last one's music); it expires a while after they stop waiting.
/// </summary>
public sealed class WaitPrompts(IConnectionMultiplexer redis, AgentStore line, TimeProvider time, IOptions<QueueOptions> options)
{
    private static readonly TimeSpan KeptFor = TimeSpan.FromHours(2);

    public async Task<WaitPrompt> NextAsync(string sessionId)
    {
        var db = redis.GetDatabase();
        var key = RedisKeys.Announced(sessionId);
        var settings = options.Value;
        // Read together, the caller's place and the line's pace with what they were told: one round trip on every pass.
        var reading = db.HashGetAsync(key, ["at", "position"]);
        var placing = settings.Announce ? line.WaitingPlaceAsync(sessionId) : Task.FromResult(new LineClaim(null, null, []));
        await Task.WhenAll(reading, placing);
        var stored = await reading;
        var (_, inLine, intervals) = await placing;
        // A missing field reads as 0: only a present one counts.
        Announced? last = !stored[0].IsNullOrEmpty && stored[0].TryParse(out long atMs)
            ? new Announced(DateTimeOffset.FromUnixTimeMilliseconds(atMs), !stored[1].IsNullOrEmpty && stored[1].TryParse(out int position) ? position : null)
            : null;

        var now = time.GetUtcNow();
        var (prompt, next) = WaitAnnouncement.Decide(last, inLine, intervals, now, settings);
        if (next != last)
        {
            var telling = db.HashSetAsync(key, [new("at", next.At.ToUnixTimeMilliseconds()), new("position", next.Position is { } told ? told : RedisValue.EmptyString)]);
            var expiring = db.KeyExpireAsync(key, KeptFor);
            await Task.WhenAll(telling, expiring);
        }

        return prompt;
    }
}
