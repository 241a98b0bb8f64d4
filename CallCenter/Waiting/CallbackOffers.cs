using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Waiting;

/// <summary>
/// Whether a waiting caller is offered a callback that keeps their place: they are in line, their number can be called back,
/// and their expected wait (<see cref="WaitEstimate"/>) is longer than <see cref="QueueOptions.OfferCallbackAfter"/>. With too
/// little history for an estimate, no offer is made. While they wait, the offer is made again every
/// <see cref="QueueOptions.OfferCallbackEvery"/>; when it last was is kept with their session (written only here).
/// </summary>
public sealed class CallbackOffers(IConnectionMultiplexer redis, AgentStore line, SessionStore sessions, TimeProvider time, IOptions<QueueOptions> options)
{
    private static readonly TimeSpan KeptFor = TimeSpan.FromHours(2);

    /// <summary>Whether the caller is offered a callback now, by their place in line as it is now.</summary>
    private async Task<bool> ShouldOfferAsync(string sessionId, string? number) =>
        CallDecisions.CanCallBack(number) && ShouldOffer(number, await line.WaitingPlaceAsync(sessionId));

    /// <summary>Whether a caller waiting at this place in line is offered a callback: only when their expected wait is long.</summary>
    public bool ShouldOffer(string? number, LineClaim waiting)
    {
        var settings = options.Value;
        return CallDecisions.CanCallBack(number) && waiting.Position is { } position
            && WaitEstimate.For(position, waiting.Intervals, time.GetUtcNow(), settings) > settings.OfferCallbackAfter;
    }

    /// <summary>
    /// Whether the caller, on a pass of their wait music, is offered a callback again: the first pass starts the clock (an offer
    /// on entry came just before it), and each offer restarts it.
    /// </summary>
    public async Task<bool> ShouldOfferAgainAsync(string sessionId)
    {
        var db = redis.GetDatabase();
        var key = RedisKeys.CallbackOffered(sessionId);
        var now = time.GetUtcNow();
        if (await db.StringSetAsync(key, now.ToUnixTimeMilliseconds(), KeptFor, When.NotExists)
            || !(await db.StringGetAsync(key)).TryParse(out long lastMs)
            || now - DateTimeOffset.FromUnixTimeMilliseconds(lastMs) < options.Value.OfferCallbackEvery
            || !await ShouldOfferAsync(sessionId, (await sessions.GetAsync(sessionId))?.Customer.Number))
        {
            return false;
        }

        await db.StringSetAsync(key, now.ToUnixTimeMilliseconds(), KeptFor);
        return true;
    }
}
