using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using WarmTransfer.CallCenter;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.AgentPortal.Agents;

/// <summary>One agent: the id is also their Twilio client identity.</summary>
public sealed partial class AgentAccount
{
    private const string IdPattern = "^[A-Za-z0-9_]{1,64}$";

    [Required, RegularExpression(IdPattern)]
    public string Id { get; set; } = string.Empty;

    [Required]
    public string DisplayName { get; set; } = string.Empty;

    /// <summary><c>pbkdf2-sha256$iterations$salt$hash</c>, from <see cref="AgentPasswords.Hash"/>.</summary>
    [Required]
    public string PasswordHash { get; set; } = string.Empty;

    /// <summary>Their after-call work: how long they stay in wrap-up after their part in a call ends (0 for none).</summary>
    [Range(0, 3600)]
    public int WrapUpSeconds { get; set; } = AgentStore.DefaultWrapUpSeconds;

    /// <summary><see cref="AgentRoles.Agent"/> (takes calls) or <see cref="AgentRoles.Supervisor"/> (watches the wallboard).</summary>
    [RegularExpression("^(Agent|Supervisor)$")]
    public string Role { get; set; } = AgentRoles.Agent;

    public bool IsSupervisor => Role == AgentRoles.Supervisor;

    public static bool IsWellFormedId(string id) => IdFormat().IsMatch(id);

    [GeneratedRegex(IdPattern)]
    private static partial Regex IdFormat();
}

public static class AgentRoles
{
    public const string Agent = "Agent";
    public const string Supervisor = "Supervisor";

    /// <summary>The authorization policy of the wallboard and its data: the signed-in person is a supervisor in the directory now.</summary>
    public const string SupervisorPolicy = "supervisor";
}

/// <summary>The configured agents (section <c>Agents</c>). Production has none until they are configured.</summary>
public sealed class AgentDirectoryOptions
{
    public const string SectionName = "Agents";

    /// <summary>The path of a JSON file of more agents, watched for changes (<see cref="AgentDirectoryFile"/>).</summary>
    public const string FileKey = "Agents:DirectoryFile";

    public List<AgentAccount> Directory { get; set; } = [];

    private Index? _index;

    /// <summary>The agent with this id (the first, were one listed twice); looked up by id, not by reading the whole directory.</summary>
    public AgentAccount? Find(string agentId)
    {
        var index = Volatile.Read(ref _index);
        if (index is null || !ReferenceEquals(index.Source, Directory) || index.Count != Directory.Count)
        {
            var byId = new Dictionary<string, AgentAccount>(StringComparer.Ordinal);
            foreach (var agent in Directory)
            {
                byId.TryAdd(agent.Id, agent);
            }

            index = new Index(Directory, Directory.Count, byId);
            Volatile.Write(ref _index, index);
        }

        return index.ById.GetValueOrDefault(agentId);
    }

    private sealed record Index(List<AgentAccount> Source, int Count, Dictionary<string, AgentAccount> ById);
}
