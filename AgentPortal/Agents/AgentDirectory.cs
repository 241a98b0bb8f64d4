using System.ComponentModel.DataAnnotations;
using WarmTransfer.CallCenter;

namespace WarmTransfer.AgentPortal.Agents;

/// <summary>One agent: the id is also their Twilio client identity.</summary>
public sealed class AgentAccount
{
    [Required, RegularExpression("^[A-Za-z0-9_]{1,64}$")]
    public string Id { get; set; } = string.Empty;

    [Required]
    public string DisplayName { get; set; } = string.Empty;

    /// <summary><c>pbkdf2-sha256$iterations$salt$hash</c>, from <see cref="AgentPasswords.Hash"/>.</summary>
    [Required]
    public string PasswordHash { get; set; } = string.Empty;
}

/// <summary>The configured agents (section <c>Agents</c>). Production has none until they are configured.</summary>
public sealed class AgentDirectoryOptions
{
    public const string SectionName = "Agents";

    public List<AgentAccount> Directory { get; set; } = [];
}
