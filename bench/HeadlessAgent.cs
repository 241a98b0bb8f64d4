using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace WarmTransfer.Benchmarks;

/// <summary>What the portal pushes to an agent's page (the fields the headless agents act on).</summary>
public sealed record AgentView(AgentSummary Agent, CallView? Call, IReadOnlyList<Colleague> Colleagues);

public sealed record AgentSummary(string Id, string Status);

public sealed record CallView(string Conference, string Role, string MyStatus, TransferView? Transfer);

public sealed record TransferView(string AgentId, string State, string? Failure);

public sealed record Colleague(string Id);

/// <summary>
/// An agent with no browser: signed in to the portal with a cookie, acting through its API, and listening to its live
/// updates on the agent hub as the page does (SignalR's JSON protocol over a WebSocket). Its softphone is the emulator's
/// answer rule.
/// </summary>
public sealed class HeadlessAgent : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly CookieContainer _cookies = new();
    private readonly HttpClient _http;
    private readonly Uri _portal;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private ClientWebSocket? _socket;
    private readonly Channel<AgentView> _views = Channel.CreateUnbounded<AgentView>(new UnboundedChannelOptions { SingleWriter = true });
    private Task _listening = Task.CompletedTask;

    private HeadlessAgent(string id, Uri portal)
    {
        Id = id;
        _portal = portal;
        _http = new HttpClient(new SocketsHttpHandler { CookieContainer = _cookies }) { BaseAddress = portal, Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Id { get; }

    /// <summary>Every view the hub pushes, in order.</summary>
    public ChannelReader<AgentView> Views => _views.Reader;

    /// <summary>Who is available for a transfer, as last pushed to everyone.</summary>
    public IReadOnlyList<Colleague> Available { get; private set; } = [];

    public static async Task<HeadlessAgent> SignInAsync(Uri portal, string id, string password, CancellationToken cancellationToken)
    {
        var agent = new HeadlessAgent(id, portal);
        await agent.RefreshAntiforgeryAsync(cancellationToken);
        using var signIn = await agent._http.PostAsync("/account/sign-in",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["agentId"] = id, ["password"] = password }), cancellationToken);
        if (signIn.StatusCode != HttpStatusCode.NoContent)
        {
            throw new InvalidOperationException($"{id} could not sign in: {(int)signIn.StatusCode}");
        }

        // The anti-forgery token is bound to the signed-in user.
        await agent.RefreshAntiforgeryAsync(cancellationToken);
        return agent;
    }

    /// <summary>Opens the live view; the first push (the whole view) follows at once.</summary>
    public async Task ListenAsync(CancellationToken cancellationToken)
    {
        _socket = new ClientWebSocket();
        _socket.Options.Cookies = _cookies;
        var hub = new UriBuilder(new Uri(_portal, "/hubs/agent")) { Scheme = _portal.Scheme == "https" ? "wss" : "ws" }.Uri;
        await _socket.ConnectAsync(hub, cancellationToken);
        await SendAsync("{\"protocol\":\"json\",\"version\":1}", cancellationToken);
        _listening = ReceiveAsync(_stopping.Token);
    }

    public Task<HttpResponseMessage> PostAsync(string path, object body, CancellationToken cancellationToken) =>
        _http.PostAsJsonAsync(path, body, cancellationToken);

    public async Task PostOkAsync(string path, object body, CancellationToken cancellationToken)
    {
        using var response = await PostAsync(path, body, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{Id}: POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    private async Task RefreshAntiforgeryAsync(CancellationToken cancellationToken)
    {
        var answer = await _http.GetFromJsonAsync<JsonElement>("/api/antiforgery", cancellationToken);
        _http.DefaultRequestHeaders.Remove("X-CSRF-TOKEN");
        _http.DefaultRequestHeaders.Add("X-CSRF-TOKEN", answer.GetProperty("token").GetString());
    }

    private async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var pending = new StringBuilder();
        using var keepAlive = new PeriodicTimer(TimeSpan.FromSeconds(10));
        var pinging = PingAsync(keepAlive, cancellationToken);
        try
        {
            while (_socket!.State == WebSocketState.Open)
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
                    Handle(message);
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or WebSocketException)
        {
            // Stopping, or the portal went away.
        }

        _views.Writer.TryComplete();
        keepAlive.Dispose();
        await pinging;
    }

    private void Handle(string message)
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
                Available = view.Colleagues;
                _views.Writer.TryWrite(view);
                break;
            case "Available":
                Available = argument.Deserialize<List<Colleague>>(Json)!;
                break;
        }
    }

    private async Task PingAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await SendAsync("{\"type\":6}", cancellationToken);
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
            await _socket!.SendAsync(Encoding.UTF8.GetBytes(message + RecordSeparator), WebSocketMessageType.Text, true, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _listening;
        _socket?.Dispose();
        _http.Dispose();
        _stopping.Dispose();
        _sending.Dispose();
    }
}
