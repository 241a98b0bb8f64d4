namespace WarmTransfer.CallCenter.State;

/// <summary>How long an agent's page and softphone are believed alive (configuration section <c>Presence</c>).</summary>
public sealed class PresenceOptions
{
    public const string Section = "Presence";

    /// <summary>A page whose last heartbeat is older than this is gone: its agent is offered nothing.</summary>
    public TimeSpan HeartbeatExpiry { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a page sends its heartbeat: well inside <see cref="HeartbeatExpiry"/>.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// A softphone that drops re-registers by itself: for this long its agent keeps their place in the idle line (offered
    /// nothing meanwhile); after it they are offline until it is back.
    /// </summary>
    public TimeSpan ReregisterGrace { get; set; } = TimeSpan.FromSeconds(15);
}
