using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace WarmTransfer.Testing;

/// <summary>
/// A message from the emulator to a device: <c>incoming</c>, <c>cancel</c>, <c>disconnect</c>, <c>tokenUpdated</c> or
/// <c>error</c>; <c>closed</c> (not the emulator's) when the socket closed.
/// </summary>
public sealed record DeviceMessage(DateTimeOffset At, string Type, string? CallSid = null, int? Code = null, string? Message = null);

/// <summary>The emulator refused a device's registration.</summary>
public sealed class DeviceRegistrationException(int code, string message) : Exception($"{code}: {message}")
{
    public int Code { get; } = code;
}

/// <summary>
/// A softphone registered with the emulator over its device WebSocket (<c>/voice/devices</c>, the protocol in
/// TwilioEmulator/README.md), as the voice SDK in an agent's page is: it is rung with <c>incoming</c>, accepts, rejects or
/// hangs up, and renews its token. It does not reconnect by itself; its owner does, as the SDK would.
/// </summary>
public sealed class SoftphoneDevice : IAsyncDisposable
{
    public const string Path = "/voice/devices";

    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Channel<DeviceMessage> _messages = Channel.CreateUnbounded<DeviceMessage>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly TimeProvider _time;
    private Task _receiving = Task.CompletedTask;

    private SoftphoneDevice(TimeProvider time) => _time = time;

    /// <summary>The id the emulator gave this registration (<c>DV…</c>).</summary>
    public string DeviceId { get; private set; } = string.Empty;

    public string Identity { get; private set; } = string.Empty;

    /// <summary>Everything the emulator sends after registration, then <c>closed</c>; completed once the socket is closed.</summary>
    public ChannelReader<DeviceMessage> Messages => _messages.Reader;

    /// <summary>Connects and registers with the token; a <see cref="DeviceRegistrationException"/> when the emulator refuses it.</summary>
    public static async Task<SoftphoneDevice> RegisterAsync(Uri emulator, string token, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        var device = new SoftphoneDevice(time ?? TimeProvider.System);
        try
        {
            var url = new UriBuilder(new Uri(emulator, Path)) { Scheme = emulator.Scheme == "https" ? "wss" : "ws" }.Uri;
            await device._socket.ConnectAsync(url, cancellationToken);
            await device.SendAsync(new JsonObject { ["type"] = "register", ["token"] = token }, cancellationToken);
            var answer = await device.ReceiveAsync(cancellationToken)
                ?? throw new DeviceRegistrationException(0, "the emulator closed the socket before answering the registration");
            if (Text(answer, "type") != "registered")
            {
                throw new DeviceRegistrationException(answer["code"]?.GetValue<int>() ?? 0, Text(answer, "message") ?? answer.ToJsonString());
            }

            device.DeviceId = Text(answer, "deviceId")!;
            device.Identity = Text(answer, "identity")!;
            device._receiving = device.ReceiveLoopAsync(device._stopping.Token);
            return device;
        }
        catch
        {
            await device.DisposeAsync();
            throw;
        }
    }

    public Task AcceptAsync(string callSid, CancellationToken cancellationToken = default) => SendCallAsync("accept", callSid, cancellationToken);

    public Task RejectAsync(string callSid, CancellationToken cancellationToken = default) => SendCallAsync("reject", callSid, cancellationToken);

    public Task HangUpAsync(string callSid, CancellationToken cancellationToken = default) => SendCallAsync("hangup", callSid, cancellationToken);

    /// <summary>Sends a fresh token for the same identity; <c>tokenUpdated</c> (or <c>error</c>) follows in <see cref="Messages"/>.</summary>
    public Task UpdateTokenAsync(string token, CancellationToken cancellationToken = default) =>
        SendAsync(new JsonObject { ["type"] = "updateToken", ["token"] = token }, cancellationToken);

    private Task SendCallAsync(string type, string callSid, CancellationToken cancellationToken) =>
        SendAsync(new JsonObject { ["type"] = type, ["callSid"] = callSid }, cancellationToken);

    private async Task SendAsync(JsonObject message, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, true, cancellationToken);
            }
        }
        catch (WebSocketException)
        {
            // The socket is going; the receive loop reports it closed.
        }
        finally
        {
            _sending.Release();
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var reason = "closed by the emulator";
        try
        {
            while (await ReceiveAsync(cancellationToken) is { } message)
            {
                _messages.Writer.TryWrite(new DeviceMessage(_time.GetUtcNow(), Text(message, "type") ?? "unknown", Text(message, "callSid"),
                    message["code"] is JsonValue code && code.TryGetValue<int>(out var number) ? number : null, Text(message, "message")));
            }

            reason = _socket.CloseStatusDescription ?? reason;
        }
        catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
        {
            // Aborting a ClientWebSocket disposes it: a receive begun after that finds it disposed.
            reason = "closed by the device";
        }
        catch (WebSocketException exception)
        {
            reason = $"connection lost: {exception.Message}";
        }

        _messages.Writer.TryWrite(new DeviceMessage(_time.GetUtcNow(), "closed", Message: reason));
        _messages.Writer.TryComplete();
    }

    private async Task<JsonObject?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        using var text = new MemoryStream();
        while (true)
        {
            var received = await _socket.ReceiveAsync(buffer, cancellationToken);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            text.Write(buffer, 0, received.Count);
            if (received.EndOfMessage)
            {
                return JsonNode.Parse(Encoding.UTF8.GetString(text.ToArray())) as JsonObject ?? [];
            }
        }
    }

    private static string? Text(JsonObject message, string key) =>
        message[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>Gone without a goodbye, as a page closed or a network lost: the socket is aborted.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _socket.Abort();
        await _receiving;
        _socket.Dispose();
        _stopping.Dispose();
        _sending.Dispose();
    }
}
