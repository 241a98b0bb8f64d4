namespace WarmTransfer.CallCenter.Telephony;

/// <summary>WebhookApi's Twilio-facing routes, shared by everyone who hands them to Twilio.</summary>
public static class WebhookPaths
{
    public const string Incoming = "/voice/incoming";
    public const string Hold = "/voice/hold";
    public const string Wait = "/voice/wait";
    public const string AgentJoin = "/voice/agent-join";

    /// <summary>The callback offer for a caller taken out of the line's conference to hear it again.</summary>
    public const string CallbackOffer = "/voice/callback-offer";

    /// <summary>The key a caller pressed when offered a callback.</summary>
    public const string CallbackChoice = "/voice/callback-choice";

    /// <summary>The TwiML of a callback's call once the customer answers.</summary>
    public const string CustomerJoin = "/voice/customer-join";

    /// <summary>A callback's call progress.</summary>
    public const string CustomerStatus = "/voice/customer-status";
    public const string CallStatus = "/voice/call-status";
    public const string ConferenceEvents = "/voice/conference-events";
    public const string HoldMusic = "/media/hold-music.wav";

    /// <summary>The public URL Twilio calls for <paramref name="pathAndQuery"/>.</summary>
    public static Uri Url(this TwilioOptions options, string pathAndQuery) => new(options.WebhookBaseUrl.TrimEnd('/') + pathAndQuery);
}
