using System.ComponentModel.DataAnnotations;

namespace WarmTransfer.CallCenter.Telephony;

/// <summary>The one secret of the account a service holds: the one its job needs.</summary>
public enum TwilioSecret
{
    AuthToken,
    ApiKeySecret,
}

/// <summary>The Twilio account the services use (section <c>Twilio</c>); the AppHost fills it.</summary>
public sealed class TwilioOptions
{
    public const string SectionName = "Twilio";

    [Required, RegularExpression("^AC[0-9a-fA-F]{32}$")]
    public string AccountSid { get; set; } = string.Empty;

    /// <summary>Signs webhooks; checked on every Twilio-facing request. Only WebhookApi has it.</summary>
    public string AuthToken { get; set; } = string.Empty;

    [Required, RegularExpression("^SK[0-9a-fA-F]{32}$")]
    public string ApiKeySid { get; set; } = string.Empty;

    /// <summary>Authenticates REST requests and signs softphone tokens. WebhookApi does not have it.</summary>
    public string ApiKeySecret { get; set; } = string.Empty;

    /// <summary>The support number: customers call it, agents are dialed from it.</summary>
    [Required, RegularExpression(@"^\+[1-9]\d{1,14}$")]
    public string PhoneNumber { get; set; } = string.Empty;

    /// <summary>Where REST requests go instead of api.twilio.com (the emulator); empty for real Twilio.</summary>
    public string? ApiBaseUrl { get; set; }

    /// <summary>WebhookApi's public base URL, as Twilio calls it: TwiML links and signatures use it.</summary>
    [Required, Url]
    public string WebhookBaseUrl { get; set; } = string.Empty;
}
