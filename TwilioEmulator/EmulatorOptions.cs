using System.ComponentModel.DataAnnotations;

namespace WarmTransfer.TwilioEmulator;

/// <summary>The emulated Twilio account, its API key and its one phone number (section <c>Twilio</c>).</summary>
public sealed class EmulatorOptions
{
    public const string SectionName = "Twilio";

    [Required, RegularExpression("^AC[0-9a-f]{32}$")]
    public string AccountSid { get; set; } = "AC00000000000000000000000000000001";

    [Required, MinLength(32)]
    public string AuthToken { get; set; } = string.Empty;

    [Required, RegularExpression("^SK[0-9a-f]{32}$")]
    public string ApiKeySid { get; set; } = "SK00000000000000000000000000000001";

    [Required, MinLength(32)]
    public string ApiKeySecret { get; set; } = string.Empty;

    /// <summary>The support number customers dial.</summary>
    [Required, RegularExpression(@"^\+[1-9]\d{1,14}$")]
    public string PhoneNumber { get; set; } = "+15005550006";

    /// <summary>Where Twilio sends the number's incoming calls.</summary>
    [Url]
    public string? VoiceUrl { get; set; }

    [RegularExpression("^(GET|POST)$")]
    public string VoiceMethod { get; set; } = "POST";

    /// <summary>Where Twilio asks next, with ErrorCode and ErrorUrl, when the voice URL fails for an incoming call.</summary>
    [Url]
    public string? VoiceFallbackUrl { get; set; }

    [RegularExpression("^(GET|POST)$")]
    public string VoiceFallbackMethod { get; set; } = "POST";
}

/// <summary>How long simulated media takes, and what the emulator keeps (section <c>Emulator</c>); short values make tests fast.</summary>
public sealed class EmulatorTimingOptions
{
    public const string SectionName = "Emulator";

    /// <summary>How long one &lt;Say&gt; lasts.</summary>
    public TimeSpan SayDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one pass of a &lt;Play&gt; lasts.</summary>
    public TimeSpan PlayDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Multiplies every &lt;Pause length&gt;.</summary>
    public double PauseScale { get; set; } = 1.0;

    /// <summary>From queued to ringing for an outbound call.</summary>
    public TimeSpan RingDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long Twilio waits for a webhook answer.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long an ended call or conference stays in the emulator's state before it is forgotten.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "365.00:00:00")]
    public TimeSpan EndedRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How many &lt;Redirect&gt;s in a row, with no other verb run between them, a call follows before it ends.</summary>
    [Range(1, 100_000)]
    public int MaxConsecutiveRedirects { get; set; } = 100;
}
