namespace WarmTransfer.Benchmarks;

/// <summary>Headless agents signed in, with their softphone's answer rule set, available for calls.</summary>
public static class AgentPool
{
    public static async Task<IReadOnlyList<HeadlessAgent>> SignInAvailableAsync(
        BenchSystem system, int count, string answer, int answerAfterMilliseconds, bool listen, CancellationToken cancellationToken)
    {
        var agents = new HeadlessAgent[count];
        var ids = BenchSystem.AgentIds(count);
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            await system.Emulator.SetAnswerRuleAsync($"client:{ids[i]}", answer, answerAfterMilliseconds, ct);
            var portal = await PortalClient.SignInAsync(system.Portal, ids[i], BenchSystem.AgentPassword, ct, timeout: TimeSpan.FromSeconds(30));
            // A real client: its page's hub connection and heartbeat, and a registered softphone; the answer rule answers for it.
            var desk = await portal.OpenDeskAsync(ct);
            agents[i] = new HeadlessAgent(ids[i], portal, listen ? desk.Hub : null);
        });

        // One after another, so the longest-idle order is the directory's order.
        foreach (var agent in agents)
        {
            await agent.Portal.GoAvailableAsync(cancellationToken);
        }

        return agents;
    }

    public static async Task DisposeAllAsync(IEnumerable<HeadlessAgent> agents)
    {
        foreach (var agent in agents)
        {
            await agent.DisposeAsync();
        }
    }
}
