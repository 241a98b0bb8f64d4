using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace WarmTransfer.Testing;

/// <summary>A view the hub pushed, with the moment it arrived.</summary>
public sealed record ReceivedView(DateTimeOffset At, AgentView View);

/// <summary>
/// An agent page's connection to the portal's agent hub (<c>/hubs/agent</c>): SignalR's JSON protocol over a WebSocket,
/// signed in with the page's cookie. Every pushed view is kept in order; the list of available colleagues, pushed while the
/// page shows a call (it says when, as the page does), in <see cref="Available"/>. Once told its softphone's state (<see cref="ReportSoftphoneAsync"/>) it sends the page's
/// heartbeat with it every <see cref="HeartbeatInterval"/>, as the page does.
/// </summary>
public sealed class AgentHubListener : IAsyncDisposable
{
    public const string Path = "/hubs/agent";

    /// <summary>How often the page says it is alive (the portal's default).</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(3);

    private const char RecordSeparator = '\u001e';
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly ClientWebSocket _socket = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly Channel<ReceivedView> _views = Channel.CreateUnbounded<ReceivedView>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly TimeProvider _time;
    private Task _listening = Task.CompletedTask;
    private bool _watchingColleagues;

    private AgentHubListener(TimeProvider time) => _time = time;

    /// <summary>Every view the hub pushes, in order; completed when the connection ends.</summary>
    public ChannelReader<ReceivedView> Views => _views.Reader;

    /// <summary>Who is available for a transfer, as last pushed.</summary>
    public IReadOnlyList<Colleague> Available { get; private set; } = [];

    /// <summary>What the page last said of its softphone: registered, busy or unregistered; null until it says anything.</summary>
    public string? Softphone { get; private set; }

    /// <summary>Tells the portal the softphone's state now, and in every heartbeat after.</summary>
    public async Task ReportSoftphoneAsync(string softphone, CancellationToken cancellationToken = default)
    {
        Softphone = softphone;
        await HeartbeatAsync(cancellationToken);
    }

    /// <summary>The page declined the call it was rung with (the SDK's call 'reject').</summary>
    public Task DeclinedAsync(string callSid, CancellationToken cancellationToken = default) =>
        SendAsync(JsonSerializer.Serialize(new { type = 1, target = "Declined", arguments = new[] { callSid } }), cancellationToken);

    private Task HeartbeatAsync(CancellationToken cancellationToken) =>
        Softphone is { } softphone
            ? SendAsync(JsonSerializer.Serialize(new { type = 1, target = "Heartbeat", arguments = new[] { softphone } }), cancellationToken)
            : Task.CompletedTask;

    /// <summary>Completes when the connection ends, whoever ended it.</summary>
    public Task Completion => _listening;

    /// <param name="origin">The Origin header a browser would send: the page's origin (none by default, as a non-browser client).</param>
    public static async Task<AgentHubListener> ConnectAsync(
        Uri portal, CookieContainer cookies, CancellationToken cancellationToken, TimeProvider? time = null, string? origin = null)
    {
        var listener = new AgentHubListener(time ?? TimeProvider.System);
        try
        {
            listener._socket.Options.Cookies = cookies;
            if (origin is not null)
            {
                listener._socket.Options.SetRequestHeader("Origin", origin);
            }

            var hub = new UriBuilder(new Uri(portal, Path)) { Scheme = portal.Scheme == "https" ? "wss" : "ws" }.Uri;
            await listener._socket.ConnectAsync(hub, cancellationToken);
            await listener.SendAsync("{\"protocol\":\"json\",\"version\":1}", cancellationToken);
            listener._listening = listener.ReceiveAsync(listener._stopping.Token);
            return listener;
        }
        catch
        {
            await listener.DisposeAsync();
            throw;
        }
    }

    private async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var pending = new StringBuilder();
        using var keepAlive = new PeriodicTimer(HeartbeatInterval);
        var pinging = PingAsync(keepAlive, cancellationToken);
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var received = await _socket.ReceiveAsync(buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                pending.Append(Encoding.UTF8.GetString(buffer, 0, received.Count));
                var text = pending.ToString();
                var end = text.LastIndexOf(RecordSeparator);
                if (end < 0)
                {
                    continue;
                }

                pending.Clear().Append(text[(end + 1)..]);
                foreach (var message in text[..end].Split(RecordSeparator, StringSplitOptions.RemoveEmptyEntries))
                {
                    await HandleAsync(message, cancellationToken);
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or WebSocketException)
        {
            // Stopping, or the portal went away.
        }
        finally
        {
            _views.Writer.TryComplete();
            keepAlive.Dispose();
        }

        await pinging;
    }

    private async Task HandleAsync(string message, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(message);
        var root = document.RootElement;
        // Type 1 is an invocation; the handshake answer, pings and completions need nothing.
        if (!root.TryGetProperty("type", out var type) || type.GetInt32() != 1)
        {
            return;
        }

        var argument = root.GetProperty("arguments")[0];
        switch (root.GetProperty("target").GetString())
        {
            case "View":
                var view = argument.Deserialize<AgentView>(Json)!;
                _views.Writer.TryWrite(new ReceivedView(_time.GetUtcNow(), view));
                await WatchColleaguesAsync(view.Call is not null, cancellationToken);
                break;
            case "Available":
                Available = argument.Deserialize<List<Colleague>>(Json)!;
                break;
        }
    }

    /// <summary>As the page: the free colleagues are pushed only while it shows a call, and it says when that starts and stops.</summary>
    private async Task WatchColleaguesAsync(bool watching, CancellationToken cancellationToken)
    {
        if (watching == _watchingColleagues)
        {
            return;
        }

        _watchingColleagues = watching;
        if (!watching)
        {
            Available = [];
        }

        await SendAsync(JsonSerializer.Serialize(new { type = 1, target = "WatchColleagues", arguments = new[] { watching } }), cancellationToken);
    }

    private async Task PingAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                // The heartbeat is traffic enough to keep the connection alive; a page with nothing to say pings.
                await (Softphone is null ? SendAsync("{\"type\":6}", cancellationToken) : HeartbeatAsync(cancellationToken));
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The connection is closing.
        }
    }

    private async Task SendAsync(string message, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(message + RecordSeparator), WebSocketMessageType.Text, true, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Closes the connection as a closed page does.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _listening;
        _socket.Dispose();
        _stopping.Dispose();
        _sending.Dispose();
    }
}
