namespace WarmTransfer.CallCenter.Waiting;

/// <summary>What a waiting caller was last told: when, and which position (null before their first announcement).</summary>
public sealed record Announced(DateTimeOffset At, int? Position);

/// <summary>One pass of the caller's wait TwiML: the greeting (first pass only) and the announcement to say, if any.</summary>
public sealed record WaitPrompt(string? Greeting, string? Announcement);

/// <summary>
/// When a waiting caller hears their position and expected wait, and what they hear: on their first pass in line, then on the
/// first pass at least <see cref="QueueOptions.AnnounceEvery"/> after the last announcement. A caller is never told a later
/// position than the last one they heard (a caller put back at the front ahead of them does not move them back in what they
/// hear). A caller not in line (an agent is being rung for them) hears the music only.
/// </summary>
public static class WaitAnnouncement
{
    /// <param name="last">What the caller was told before; null on their first pass.</param>
    /// <param name="position">Their place in line now, from 1; null when not in line.</param>
    /// <param name="intervals">The line's service intervals, newest first.</param>
    public static (WaitPrompt Prompt, Announced Next) Decide(
        Announced? last, int? position, IReadOnlyList<ServiceInterval> intervals, DateTimeOffset now, QueueOptions options)
    {
        var greeting = last is null ? options.Greeting : null;
        last ??= new Announced(now, null);
        var due = last.Position is null || now - last.At >= options.AnnounceEvery;
        if (!options.Announce || position is not { } current || !due)
        {
            return (new WaitPrompt(greeting, null), last);
        }

        var told = last.Position is { } before ? Math.Min(before, current) : current;
        var text = options.PositionText.Replace("{position}", told.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        if (WaitEstimate.For(told, intervals, now, options) is { } wait)
        {
            text += " " + options.WaitText.Replace("{wait}", WaitEstimate.Spoken(wait, options), StringComparison.Ordinal);
        }

        return (new WaitPrompt(greeting, text), new Announced(now, told));
    }
}
