using WarmTransfer.CallCenter.Waiting;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>What a waiting caller hears of their place and wait, decided from recorded histories of the line.</summary>
public sealed class WaitAnnouncementTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);
    private static readonly QueueOptions Options = new();

    /// <summary>Service intervals ending at the given moments before now (newest first), each of the given length.</summary>
    private static ServiceInterval[] History(params (int SecondsAgo, int GapSeconds)[] intervals) =>
        [.. intervals.Select(i => new ServiceInterval(Now.AddSeconds(-i.SecondsAgo), TimeSpan.FromSeconds(i.GapSeconds)))];

    [Fact]
    public void The_expected_wait_is_the_position_times_the_mean_of_the_recent_service_intervals()
    {
        var history = History((10, 30), (50, 40), (100, 50));

        Assert.Equal(TimeSpan.FromSeconds(40), WaitEstimate.For(1, history, Now, Options));
        Assert.Equal(TimeSpan.FromSeconds(120), WaitEstimate.For(3, history, Now, Options));
    }

    [Fact]
    public void Only_the_newest_intervals_inside_the_window_count_and_too_few_give_no_estimate()
    {
        // Twelve fresh intervals of 30 s, then older ones of 10 minutes: only the ten newest count.
        var history = History([.. Enumerable.Range(0, 12).Select(i => (i * 30, 30)), (1000, 600), (1100, 600)]);
        Assert.Equal(TimeSpan.FromSeconds(60), WaitEstimate.For(2, history, Now, Options));

        // Two recent intervals and one from before the window: too little history.
        var thin = History((10, 30), (40, 30), ((int)Options.EstimateWindow.TotalSeconds + 1, 30));
        Assert.Null(WaitEstimate.For(1, thin, Now, Options));
        Assert.Null(WaitEstimate.For(1, [], Now, Options));
    }

    [Theory]
    [InlineData(0, "less than a minute")]
    [InlineData(59, "less than a minute")]
    [InlineData(60, "about 1 minute")]
    [InlineData(89, "about 1 minute")]
    [InlineData(90, "about 2 minutes")]
    [InlineData(610, "about 10 minutes")]
    public void A_wait_is_said_in_whole_minutes_or_as_less_than_a_minute(int seconds, string said) =>
        Assert.Equal(said, WaitEstimate.Spoken(TimeSpan.FromSeconds(seconds), Options));

    [Fact]
    public void The_first_pass_greets_and_announces_and_the_next_announcement_comes_only_after_the_interval()
    {
        var history = History((10, 30), (50, 40), (100, 50));

        var (first, told) = WaitAnnouncement.Decide(null, 3, history, Now, Options);
        Assert.Equal(new WaitPrompt(Options.Greeting, "You are caller number 3. The expected wait is about 2 minutes."), first);

        var (soon, unchanged) = WaitAnnouncement.Decide(told, 2, history, Now.AddSeconds(59), Options);
        Assert.Equal(new WaitPrompt(null, null), soon);
        Assert.Same(told, unchanged);

        var (later, _) = WaitAnnouncement.Decide(told, 2, history, Now.AddSeconds(60), Options);
        Assert.Equal(new WaitPrompt(null, "You are caller number 2. The expected wait is about 1 minute."), later);
    }

    [Fact]
    public void A_caller_is_never_told_a_later_position_than_the_last_one_they_heard()
    {
        var told = new Announced(Now.AddMinutes(-1), 2);

        // A caller whose agent did not answer went back to the front, ahead of this one.
        var (prompt, next) = WaitAnnouncement.Decide(told, 3, [], Now, Options);

        Assert.Equal(new WaitPrompt(null, "You are caller number 2."), prompt);
        Assert.Equal(2, next.Position);
    }

    [Fact]
    public void Positions_announced_over_a_wait_never_increase_whatever_the_line_does()
    {
        var random = new Random(7);
        Announced? last = null;
        var heard = new List<int>();
        for (var pass = 0; pass < 200; pass++)
        {
            var (prompt, next) = WaitAnnouncement.Decide(last, random.Next(1, 10), [], Now.AddSeconds(pass * 61), Options);
            heard.Add(next.Position!.Value);
            Assert.NotNull(prompt.Announcement);
            last = next;
        }

        Assert.Equal(heard.OrderByDescending(position => position), heard);
    }

    [Fact]
    public void A_caller_not_in_line_or_a_line_without_announcements_hears_the_music_only()
    {
        var (ringing, told) = WaitAnnouncement.Decide(null, null, [], Now, Options);
        Assert.Equal(new WaitPrompt(Options.Greeting, null), ringing);

        // Back in line (their agent did not answer): they hear their place at once.
        var (back, _) = WaitAnnouncement.Decide(told, 1, [], Now.AddSeconds(5), Options);
        Assert.Equal("You are caller number 1.", back.Announcement);

        var (silent, _) = WaitAnnouncement.Decide(null, 4, [], Now, new QueueOptions { Announce = false });
        Assert.Equal(new WaitPrompt(Options.Greeting, null), silent);
    }
}
