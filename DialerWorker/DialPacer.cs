using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WarmTransfer.CallCenter.State;
using WarmTransfer.CallCenter.Telephony;

namespace WarmTransfer.DialerWorker;

/// <summary>
/// Paces call creations to the account's calls-per-second budget across every worker replica, on Redis' clock.
/// Twilio counts a request when it arrives, which is somewhere between our sending it and its answer; so a creation counts
/// from the moment its slot is taken until a second after its answer (in flight, until its request timeout at most). A new
/// creation goes ahead only while fewer than the budget count: no second at Twilio can then see more than the budget.
/// </summary>
public sealed class DialPacer(IConnectionMultiplexer redis, IOptions<DialerOptions> options, TimeProvider time)
{
    // A little longer than a second, so that clock jitter never packs one more into a second at Twilio.
    private const int WindowMilliseconds = 1100;

    // KEYS: creations. ARGV: budget, window ms, member, in-flight ms.
    // Returns 0 when the slot was taken, else how many ms until one may free up.
    private const string TakeScript = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local window = tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
        if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
          redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[3])
          redis.call('PEXPIRE', KEYS[1], window + tonumber(ARGV[4]))
          return 0
        end
        local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        return math.max(1, math.min(tonumber(oldest[2]) + window - now, 100))
        """;

    // KEYS: creations. ARGV: member. The creation was answered: it counts for one more window from now.
    private const string DoneScript = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
        return 0
        """;

    /// <summary>Returns once this worker may send one call creation; dispose the slot when Twilio answered (or did not).</summary>
    public async Task<IAsyncDisposable> TakeSlotAsync(CancellationToken cancellationToken)
    {
        var member = Guid.NewGuid().ToString("N");
        while (true)
        {
            var wait = (long)await redis.GetDatabase().ScriptEvaluateAsync(TakeScript, [RedisKeys.DialPace],
                [options.Value.CallsPerSecond, WindowMilliseconds, member, (long)TwilioClientRegistration.RequestTimeout.TotalMilliseconds]);
            if (wait == 0)
            {
                return new Slot(redis, member);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(wait), time, cancellationToken);
        }
    }

    private sealed class Slot(IConnectionMultiplexer redis, string member) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() =>
            await redis.GetDatabase().ScriptEvaluateAsync(DoneScript, [RedisKeys.DialPace], [member]);
    }
}
