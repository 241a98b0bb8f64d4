using System.Diagnostics;
using System.Runtime.InteropServices;

namespace WarmTransfer.Benchmarks;

/// <summary>What one fixed-rate run measured.</summary>
/// <param name="AchievedRate">Requests answered per second, from the first send to the last answer.</param>
/// <param name="PerSecond">The latencies of the requests due in each second of the run, so warm-up or drift shows.</param>
public sealed record LoadResult(double TargetRate, long Sent, long Failed, double AchievedRate, Percentiles Latency, IReadOnlyList<Percentiles> PerSecond)
{
    /// <summary>Every request answered in time, at the rate asked for, with the 99th percentile under the limit.</summary>
    public bool Sustains(TimeSpan p99Limit) =>
        Failed == 0 && AchievedRate >= TargetRate * 0.95 && Latency.P99 < p99Limit.TotalMilliseconds;
}

/// <summary>
/// An open-loop load generator: request i goes out at start + i / rate whatever the server does, and its latency counts
/// from that scheduled moment. A slow answer cannot hold back the requests behind it, and time they would have spent
/// queued is measured rather than hidden.
/// </summary>
public static class OpenLoop
{
    /// <param name="send">Sends request i; true when it was answered as expected.</param>
    /// <param name="alsoInto">Where the latencies are recorded too, for runs measured as one.</param>
    public static async Task<LoadResult> RunAsync(
        double rate, TimeSpan duration, Func<long, CancellationToken, Task<bool>> send, CancellationToken cancellationToken,
        LatencyRecorder? alsoInto = null)
    {
        var count = Math.Max(1, (long)Math.Round(rate * duration.TotalSeconds));
        var latencies = new LatencyRecorder();
        var perSecond = Enumerable.Range(0, Math.Max(1, (int)Math.Ceiling(duration.TotalSeconds))).Select(_ => new LatencyRecorder()).ToArray();
        var failed = 0L;
        var sent = new List<Task>((int)Math.Min(count, int.MaxValue));
        var ticksPerRequest = Stopwatch.Frequency / rate;
        var start = Stopwatch.GetTimestamp();
        long lastAnswer = start;

        // One thread of its own sends on schedule: it sleeps until each moment (never spinning a core the system needs), and a
        // thread's sleep wakes a few tens of microseconds late, where a timer's continuation also waits for a pool thread.
        // Requests that fell due while it slept go out at once; any lateness counts in their latency.
        var generator = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                for (long i = 0; i < count; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var due = start + (long)(i * ticksPerRequest);
                    // Never early: it sleeps again while the moment has not come.
                    while (Stopwatch.GetTimestamp() < due)
                    {
                        Sleep(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due));
                    }

                    sent.Add(SendAsync(i, due));
                }

                generator.SetResult();
            }
            catch (Exception exception)
            {
                generator.SetException(exception);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop generator",
        };
        thread.Start();
        await generator.Task;
        await Task.WhenAll(sent);
        var seconds = Stopwatch.GetElapsedTime(start, lastAnswer).TotalSeconds;
        return new LoadResult(rate, count, failed, seconds > 0 ? Math.Round((count - failed) / seconds, 1) : 0, latencies.Summary(),
            [.. perSecond.Select(second => second.Summary()).Where(summary => summary.Count > 0)]);

        async Task SendAsync(long index, long due)
        {
            bool answered;
            try
            {
                answered = await send(index, cancellationToken);
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                answered = false;
            }

            var now = Stopwatch.GetTimestamp();
            InterlockedMax(ref lastAnswer, now);
            if (answered)
            {
                var latency = Stopwatch.GetElapsedTime(due, now);
                latencies.Record(latency);
                alsoInto?.Record(latency);
                perSecond[Math.Min(perSecond.Length - 1, (int)Stopwatch.GetElapsedTime(start, due).TotalSeconds)].Record(latency);
            }
            else
            {
                Interlocked.Increment(ref failed);
            }
        }
    }

    /// <summary>
    /// Sleeps the calling thread: to the microsecond on Linux (nanosleep wakes within the kernel's timer slack, about 50 µs),
    /// elsewhere to the millisecond.
    /// </summary>
    private static void Sleep(TimeSpan span)
    {
        if (OperatingSystem.IsLinux())
        {
            var ticks = Math.Max(1, span.Ticks);
            var request = new TimeSpec(ticks / TimeSpan.TicksPerSecond, ticks % TimeSpan.TicksPerSecond * 100);
            _ = NanoSleep(ref request, IntPtr.Zero);
            return;
        }

        Thread.Sleep(Math.Max(1, (int)Math.Ceiling(span.TotalMilliseconds)));
    }

    [DllImport("libc", EntryPoint = "nanosleep")]
    private static extern int NanoSleep(ref TimeSpec request, IntPtr remaining);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec(long seconds, long nanoseconds)
    {
        public long Seconds = seconds;
        public long Nanoseconds = nanoseconds;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }
}
