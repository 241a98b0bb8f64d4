namespace WarmTransfer.Testing;

/// <summary>
/// An agent's page as the portal needs it to route calls to them: its hub connection open, a softphone registered at the
/// emulator with a token from the portal (renewed before it expires), and the page's heartbeat saying so. How the softphone
/// answers is scripted with the emulator's answer rules, which take a call before any device does. Disposed, the page closes.
/// </summary>
public sealed class AgentDesk : IAsyncDisposable
{
    private readonly PortalClient _portal;
    private readonly CancellationTokenSource _stopping = new();
    private SoftphoneDevice _device;
    private SoftphoneToken _token;
    private Task _renewing = Task.CompletedTask;

    private readonly Uri _emulator;

    private AgentDesk(PortalClient portal, Uri emulator, AgentHubListener hub, SoftphoneDevice device, SoftphoneToken token)
    {
        _emulator = emulator;
        _portal = portal;
        Hub = hub;
        _device = device;
        _token = token;
    }

    /// <summary>The page's live connection: every view pushed to it.</summary>
    public AgentHubListener Hub { get; }

    /// <summary>The registered softphone.</summary>
    public SoftphoneDevice Device => _device;

    public static async Task<AgentDesk> OpenAsync(PortalClient portal, CancellationToken cancellationToken = default)
    {
        var settings = await portal.SoftphoneAsync(cancellationToken);
        var emulator = new Uri(settings.EmulatorUrl ?? throw new InvalidOperationException("The portal does not run against the emulator"));
        var hub = await portal.ConnectHubAsync(cancellationToken);
        try
        {
            var token = await portal.TokenAsync(cancellationToken);
            var device = await SoftphoneDevice.RegisterAsync(emulator, token.Token, cancellationToken);
            var desk = new AgentDesk(portal, emulator, hub, device, token);
            await hub.ReportSoftphoneAsync("registered", cancellationToken);
            desk._renewing = desk.RenewAsync(TimeSpan.FromMilliseconds(settings.TokenRefreshMs), desk._stopping.Token);
            return desk;
        }
        catch
        {
            await hub.DisposeAsync();
            throw;
        }
    }

    /// <summary>The softphone's network dropped: the page says it is unregistered (the SDK's 'unregistered').</summary>
    public Task SoftphoneDroppedAsync(CancellationToken cancellationToken = default) => Hub.ReportSoftphoneAsync("unregistered", cancellationToken);

    /// <summary>The softphone registers again, as the SDK does by itself after a drop, and the page says so.</summary>
    public async Task ReregisterAsync(CancellationToken cancellationToken = default)
    {
        var old = _device;
        _device = await SoftphoneDevice.RegisterAsync(_emulator, _token.Token, cancellationToken);
        await old.DisposeAsync();
        await Hub.ReportSoftphoneAsync("registered", cancellationToken);
    }

    /// <summary>Renews the softphone's token before it expires, as the SDK's tokenWillExpire does.</summary>
    private async Task RenewAsync(TimeSpan before, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var wait = _token.ExpiresAt - before - DateTimeOffset.UtcNow;
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, cancellationToken);
                _token = await _portal.TokenAsync(cancellationToken);
                await _device.UpdateTokenAsync(_token.Token, cancellationToken);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or HttpRequestException or System.Net.WebSockets.WebSocketException
            or ObjectDisposedException)
        {
            // The page is closing, or the portal went away with it.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _renewing;
        await Hub.DisposeAsync();
        await _device.DisposeAsync();
        _stopping.Dispose();
    }
}
