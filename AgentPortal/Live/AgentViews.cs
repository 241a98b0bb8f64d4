using Microsoft.Extensions.Options;
using WarmTransfer.AgentPortal.Agents;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.AgentPortal.Live;

/// <summary>Builds agents' views from Redis, the one source of truth for presence and calls.</summary>
public sealed class AgentViews(AgentStore agents, ConferenceStore conferences, IOptionsMonitor<AgentDirectoryOptions> directory)
{
    public string DisplayName(string agentId) =>
        directory.CurrentValue.Directory.FirstOrDefault(a => a.Id == agentId)?.DisplayName ?? agentId;

    /// <summary>The agents available right now, longest idle first.</summary>
    public async Task<IReadOnlyList<Colleague>> AvailableAsync() =>
        [.. (await agents.AvailableAgentsAsync()).Select(id => new Colleague(id, DisplayName(id)))];

    /// <param name="available">The agents available now, when the caller already read them.</param>
    public async Task<AgentView> BuildAsync(string agentId, IReadOnlyList<Colleague>? available = null)
    {
        var agent = await agents.GetAsync(agentId);
        var summary = new AgentSummary(agentId, DisplayName(agentId), agent.Status, agent.Presence);
        var colleagues = (available ?? await AvailableAsync()).Where(c => c.Id != agentId).ToList();
        var record = agent.ConferenceName is { } name && agent.Status is AgentStatus.Ringing or AgentStatus.InCall
            ? await conferences.GetAsync(name)
            : null;
        return new AgentView(summary, record is null ? null : await CallAsync(agent, record), colleagues);
    }

    private async Task<CallView> CallAsync(AgentState agent, ConferenceRecord record)
    {
        var inCall = new List<CallAgent>();
        foreach (var id in new[] { record.FirstAgent, record.TransferAgent, agent.AgentId }.OfType<string>().Distinct())
        {
            var state = id == agent.AgentId ? agent : await agents.GetAsync(id);
            if (state.ConferenceName == record.Name && state.Status is AgentStatus.Ringing or AgentStatus.InCall)
            {
                inCall.Add(new CallAgent(id, DisplayName(id), state.Status));
            }
        }

        var role = record.FirstAgent == agent.AgentId || record.TransferAgent != agent.AgentId ? "first" : "transfer";
        var transfer = role == "first" && record.TransferAgent is { } target && target != agent.AgentId
            && record.TransferState is TransferState.Ringing or TransferState.Consulting or TransferState.Completed or TransferState.Cancelled
                or TransferState.Failed
            ? new TransferView(target, DisplayName(target), record.TransferState, record.TransferFailure)
            : null;
        return new CallView(record.Name, record.CustomerNumber, role, agent.Status, record.CustomerOnHold, record.ConnectedAt, inCall, transfer);
    }
}
