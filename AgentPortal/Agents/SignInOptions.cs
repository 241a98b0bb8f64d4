using System.ComponentModel.DataAnnotations;

namespace WarmTransfer.AgentPortal.Agents;

/// <summary>
/// How hard signing in is to abuse (section <c>Portal:SignIn</c>). A contact center signs many agents in from one office
/// address at the start of a shift: the per-address limits are generous, the per-agent lockout is strict.
/// </summary>
public sealed class SignInOptions
{
    public const string SectionName = "Portal:SignIn";

    /// <summary>Sign-in requests one client address may send at once, per portal replica, before it is slowed to <see cref="AddressRequestsPerMinute"/>.</summary>
    [Range(1, 100_000)]
    public int AddressBurst { get; set; } = 60;

    [Range(1, 100_000)]
    public int AddressRequestsPerMinute { get; set; } = 60;

    /// <summary>Failed sign-ins for one agent id (known or not) before it is locked.</summary>
    [Range(1, 1000)]
    public int AgentFailuresBeforeLockout { get; set; } = 5;

    /// <summary>Failed sign-ins from one client address, whatever the agent ids, before the address is locked.</summary>
    [Range(1, 100_000)]
    public int AddressFailuresBeforeLockout { get; set; } = 50;

    /// <summary>The first lockout; each further failure doubles it, up to <see cref="MaxLockout"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FirstLockout { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxLockout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a failure counts: failures further apart than this never add up to a lockout.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The largest sign-in request body: an agent id and a password fit many times over.</summary>
    public const long MaxBodyBytes = 4 * 1024;

    /// <summary>The longest password checked; a longer one fails without being hashed.</summary>
    public const int MaxPasswordLength = 256;
}
