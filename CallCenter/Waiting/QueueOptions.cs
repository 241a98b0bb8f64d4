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

    /// <summary>
    /// A caller whose expected wait on entry is longer than this is offered a callback that keeps their place; a caller with
    /// no estimate (too little history) or a number that cannot be called back is not.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan OfferCallbackAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>While the expected wait stays that long, the offer is made again this often during the wait.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan OfferCallbackEvery { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How often the customer is called back before the entry ends as "callback failed".</summary>
    [Range(1, 10)]
    public int CallbackAttempts { get; set; } = 2;

    /// <summary>How long after a callback the customer did not answer the entry goes back to the front of the line.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CallbackRetryDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The offer, said while the caller can press a key.</summary>
    [Required]
    public string CallbackOffer { get; set; } = "Press 1 to be called back when it is your turn, keeping your place in line, or stay on the line.";

    /// <summary>Said once the caller pressed 1, before the call ends.</summary>
    [Required]
    public string CallbackConfirmation { get; set; } = "We will call you back at the number you called from. Goodbye.";

    /// <summary>Said to the customer when they answer their callback, as they are put through to the agent.</summary>
    [Required]
    public string CallbackGreeting { get; set; } = "This is the support line calling you back. Connecting you to an agent now.";
}
