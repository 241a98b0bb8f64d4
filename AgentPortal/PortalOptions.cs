using System.ComponentModel.DataAnnotations;

namespace WarmTransfer.AgentPortal;

/// <summary>The portal's settings (section <c>Portal</c>).</summary>
public sealed class PortalOptions
{
    public const string SectionName = "Portal";

    /// <summary>How long a softphone token lives; the page renews it before it expires. Twilio allows at most 24 hours.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a sign-in lasts, however active the agent is: then they sign in again. A shift and a half by default.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>The reasons an agent can give for being away, as the page offers them.</summary>
    [MinLength(1)]
    public List<string> AwayReasons { get; set; } = ["Break", "Lunch", "Training", "Meeting"];

    /// <summary>How long before expiry the page renews its token: half the lifetime, at most 30 seconds.</summary>
    public TimeSpan TokenRefreshBeforeExpiry => TimeSpan.FromTicks(Math.Min(TokenLifetime.Ticks / 2, TimeSpan.FromSeconds(30).Ticks));
}
