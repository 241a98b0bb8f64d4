namespace WarmTransfer.Benchmarks;

/// <summary>
/// An agent with no browser: signed in to the portal, its page's hub connection and a softphone registered (its desk), acting
/// through the API, and — when listening — reading its live updates as the page does. The emulator's answer rule answers for it.
/// </summary>
public sealed class HeadlessAgent(string id, PortalClient portal, AgentHubListener? hub) : IAsyncDisposable
{
    public string Id { get; } = id;

    public PortalClient Portal { get; } = portal;

    /// <summary>The live view (the desk's hub connection); null when the agent does not listen.</summary>
    public AgentHubListener? Hub { get; } = hub;

    /// <summary>Closes the page (its hub and softphone) and signs out of nothing: the agent is simply gone.</summary>
    public ValueTask DisposeAsync() => Portal.DisposeAsync();
}
