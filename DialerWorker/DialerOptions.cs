using System.ComponentModel.DataAnnotations;

namespace WarmTransfer.DialerWorker;

/// <summary>The dialer's settings (section <c>Dialer</c>).</summary>
public sealed class DialerOptions
{
    public const string SectionName = "Dialer";

    /// <summary>The Twilio account's calls-per-second limit, shared by every worker replica (Twilio's default is 1).</summary>
    [Range(1, 1000)]
    public int CallsPerSecond { get; set; } = 1;

    /// <summary>
    /// Dial requests one worker handles at once, each waiting on Twilio for its call creation (a fifth of a second or more).
    /// Every replica's share counts against the account's limit on concurrent REST requests (Twilio answers 20429 past it).
    /// </summary>
    [Range(1, 256)]
    public int DialsAtOnce { get; set; } = 16;

    /// <summary>Tries of one Twilio request before it is given up and dead-lettered.</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The first retry's delay; each next one doubles, with jitter.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long an agent's softphone rings before the call counts as not answered.</summary>
    [Range(5, 60)]
    public int RingTimeoutSeconds { get; set; } = 20;

    /// <summary>How long a customer's phone rings for their callback before it counts as not answered.</summary>
    [Range(5, 120)]
    public int CallbackRingTimeoutSeconds { get; set; } = 30;
}
