namespace WarmTransfer.Benchmarks;

/// <summary>
/// An agent with no browser: signed in to the portal, acting through its API, and — when listening — reading its live
/// updates on the agent hub as the page does. Its softphone is the emulator's answer rule.
/// </summary>
public sealed class HeadlessAgent(string id, PortalClient portal, AgentHubListener? hub) : IAsyncDisposable
{
    public string Id { get; } = id;

    public PortalClient Portal { get; } = portal;

    /// <summary>The live view; null when the agent does not listen.</summary>
    public AgentHubListener? Hub { get; } = hub;

    public async ValueTask DisposeAsync()
    {
        if (Hub is not null)
        {
            await Hub.DisposeAsync();
        }

        Portal.Dispose();
    }
}
