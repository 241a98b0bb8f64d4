using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.DialerWorker;

/// <summary>
/// Paces call creations to the account's calls-per-second budget across every worker replica: a sliding one-second window
/// of creations in Redis, on Redis' clock, taken in one script.
/// </summary>
public sealed class DialPacer(IConnectionMultiplexer redis, IOptions<DialerOptions> options, TimeProvider time)
{
    // A little longer than a second, so that network jitter between here and Twilio never packs one more into a second there.
    private const int WindowMilliseconds = 1100;

    // KEYS: window. ARGV: budget, window ms, member. Returns 0 when a slot was taken, else how many ms until one frees up.
    private const string TakeScript = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local window = tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
        if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
          redis.call('ZADD', KEYS[1], now, ARGV[3])
          redis.call('PEXPIRE', KEYS[1], window)
          return 0
        end
        local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        return math.max(1, tonumber(oldest[2]) + window - now)
        """;

    /// <summary>Returns once this worker may create one call.</summary>
    public async Task WaitForSlotAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var wait = (long)await redis.GetDatabase().ScriptEvaluateAsync(TakeScript, [RedisKeys.DialPace],
                [options.Value.CallsPerSecond, WindowMilliseconds, Guid.NewGuid().ToString("N")]);
            if (wait == 0)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(wait), time, cancellationToken);
        }
    }
}
