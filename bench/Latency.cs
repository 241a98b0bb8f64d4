using HdrHistogram;

namespace WarmTransfer.Benchmarks;

/// <summary>Percentiles of a set of latencies, in milliseconds.</summary>
public sealed record Percentiles(long Count, double P50, double P95, double P99, double Max)
{
    public static readonly Percentiles None = new(0, 0, 0, 0, 0);

    public override string ToString() =>
        Count == 0 ? "no samples" : $"p50 {P50:0.00} ms, p95 {P95:0.00} ms, p99 {P99:0.00} ms, max {Max:0.00} ms";
}

/// <summary>Latencies recorded in microseconds into an HdrHistogram (3 significant digits, up to 10 minutes), thread-safe.</summary>
public sealed class LatencyRecorder
{
    private static readonly long Highest = (long)TimeSpan.FromMinutes(10).TotalMicroseconds;

    private readonly LongHistogram _histogram = new(Highest, 3);
    private readonly Lock _sync = new();

    public void Record(TimeSpan latency)
    {
        var microseconds = Math.Clamp((long)latency.TotalMicroseconds, 1, Highest);
        lock (_sync)
        {
            _histogram.RecordValue(microseconds);
        }
    }

    public Percentiles Summary()
    {
        lock (_sync)
        {
            return _histogram.TotalCount == 0
                ? Percentiles.None
                : new Percentiles(_histogram.TotalCount, Milliseconds(_histogram.GetValueAtPercentile(50)),
                    Milliseconds(_histogram.GetValueAtPercentile(95)), Milliseconds(_histogram.GetValueAtPercentile(99)),
                    Milliseconds(_histogram.GetMaxValue()));
        }
    }

    private static double Milliseconds(long microseconds) => Math.Round(microseconds / 1000.0, 3);
}
