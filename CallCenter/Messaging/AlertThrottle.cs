namespace WarmTransfer.CallCenter.Messaging;

/// <summary>Lets one alert through per interval, so a queue that stays full does not flood the log.</summary>
internal sealed class AlertThrottle(TimeProvider time, TimeSpan interval)
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(1);

    private long _nextTicks;

    public bool Allows()
    {
        var now = time.GetUtcNow().UtcTicks;
        var next = Interlocked.Read(ref _nextTicks);
        return now >= next && Interlocked.CompareExchange(ref _nextTicks, now + interval.Ticks, next) == next;
    }
}
