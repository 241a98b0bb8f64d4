using System.ComponentModel.DataAnnotations;

namespace WarmTransfer.CallCenter.Waiting;

/// <summary>What a waiting caller is told, and how their wait is estimated (configuration section <c>Queue</c>).</summary>
public sealed class QueueOptions
{
    public const string Section = "Queue";

    /// <summary>Whether waiting callers hear their position and expected wait at all.</summary>
    public bool Announce { get; set; } = true;

    /// <summary>How often a waiting caller hears their position again (between passes of the hold music).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan AnnounceEvery { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Said once, when the caller starts waiting.</summary>
    [Required]
    public string Greeting { get; set; } = "Thank you for calling. An agent will be with you shortly.";

    /// <summary>The caller's place in line; <c>{position}</c> is the number.</summary>
    [Required]
    public string PositionText { get; set; } = "You are caller number {position}.";

    /// <summary>The expected wait; <c>{wait}</c> is "about 2 minutes" or <see cref="ShortWait"/>.</summary>
    [Required]
    public string WaitText { get; set; } = "The expected wait is {wait}.";

    /// <summary>A wait of less than a minute.</summary>
    [Required]
    public string ShortWait { get; set; } = "less than a minute";

    /// <summary>A wait of <c>{minutes}</c> minutes (more than one).</summary>
    [Required]
    public string Minutes { get; set; } = "about {minutes} minutes";

    /// <summary>A wait of about one minute.</summary>
    [Required]
    public string OneMinute { get; set; } = "about 1 minute";

    /// <summary>The voice of the announcements (Twilio's <c>voice</c>, e.g. <c>Polly.Joanna</c>); none for Twilio's default.</summary>
    public string? Voice { get; set; }

    /// <summary>The language of the announcements (Twilio's <c>language</c>, e.g. <c>en-US</c>); none for Twilio's default.</summary>
    public string? Language { get; set; }

    /// <summary>How far back the line's history counts for an estimate.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan EstimateWindow { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>At most this many recent service intervals make the estimate.</summary>
    [Range(1, 50)]
    public int EstimateSamples { get; set; } = 10;

    /// <summary>With fewer recent service intervals than this, no wait is announced (only the position).</summary>
    [Range(1, 50)]
    public int MinimumSamples { get; set; } = 3;
}
