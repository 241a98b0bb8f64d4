namespace WarmTransfer.CallCenter.Waiting;

/// <summary>
/// One measured service interval of the line: at <paramref name="At"/> a caller was taken from the line <paramref name="Gap"/>
/// after the caller before them, and the line was never empty in between (the caller taken had joined before the previous
/// one left), so the gap is how long the agents took to free up for the next caller, not idle time.
/// </summary>
public sealed record ServiceInterval(DateTimeOffset At, TimeSpan Gap);

/// <summary>
/// The expected wait of a caller at a position in line: position × the mean of the most recent service intervals
/// (<see cref="QueueOptions.EstimateSamples"/> at most, none older than <see cref="QueueOptions.EstimateWindow"/>). With fewer
/// than <see cref="QueueOptions.MinimumSamples"/> of them there is too little history, and no estimate.
/// </summary>
public static class WaitEstimate
{
    /// <param name="intervals">The line's service intervals, newest first.</param>
    public static TimeSpan? For(int position, IReadOnlyList<ServiceInterval> intervals, DateTimeOffset now, QueueOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(position, 1);
        var recent = intervals.Where(interval => now - interval.At <= options.EstimateWindow).Take(options.EstimateSamples).ToList();
        if (recent.Count < options.MinimumSamples)
        {
            return null;
        }

        return TimeSpan.FromTicks(recent.Sum(interval => interval.Gap.Ticks) / recent.Count * position);
    }

    /// <summary>The wait as said: <see cref="QueueOptions.ShortWait"/> under a minute, else whole minutes, rounded.</summary>
    public static string Spoken(TimeSpan wait, QueueOptions options)
    {
        var minutes = (int)Math.Round(wait.TotalMinutes, MidpointRounding.AwayFromZero);
        return wait < TimeSpan.FromMinutes(1) ? options.ShortWait
            : minutes <= 1 ? options.OneMinute
            : options.Minutes.Replace("{minutes}", minutes.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }
}
