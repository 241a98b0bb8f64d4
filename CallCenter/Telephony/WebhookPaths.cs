namespace WarmTransfer.CallCenter.Telephony;

/// <summary>WebhookApi's Twilio-facing routes, shared by everyone who hands them to Twilio.</summary>
public static class WebhookPaths
{
    public const string Incoming = "/voice/incoming";
    public const string Hold = "/voice/hold";
    public const string Wait = "/voice/wait";
    public const string AgentJoin = "/voice/agent-join";
    public const string CallStatus = "/voice/call-status";
    public const string ConferenceEvents = "/voice/conference-events";
    public const string HoldMusic = "/media/hold-music.wav";

    /// <summary>The public URL Twilio calls for <paramref name="pathAndQuery"/>.</summary>
    public static Uri Url(this TwilioOptions options, string pathAndQuery) => new(options.WebhookBaseUrl.TrimEnd('/') + pathAndQuery);
}
