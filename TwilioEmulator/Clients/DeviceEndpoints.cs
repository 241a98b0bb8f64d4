using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using WarmTransfer.TwilioEmulator.Model;
using WarmTransfer.TwilioEmulator.Voice;

namespace WarmTransfer.TwilioEmulator.Clients;

/// <summary>
/// The device signalling socket used by <c>/sdk/voice-sdk.js</c>. A device sends <c>register</c> with its
/// AccessToken first; then <c>accept</c>, <c>reject</c>, <c>hangup</c> and <c>updateToken</c>. The emulator sends
/// <c>registered</c>, <c>error</c>, <c>incoming</c>, <c>cancel</c> and <c>disconnect</c>. Like Twilio, it unregisters a
/// device whose token expires without an <c>updateToken</c>: error 20104, then the socket closes. A device registering
/// again after a drop names its open calls in <c>register</c> to take them back.
/// </summary>
public static class DeviceEndpoints
{
    public const string Path = "/voice/devices";

    /// <summary>The close code of <c>POST /admin/devices/{id}/drop?reconnect=false</c>: the device must not reconnect.</summary>
    public const WebSocketCloseStatus RemovedCloseStatus = (WebSocketCloseStatus)4000;

    private static readonly JsonDocumentOptions UniqueKeys = new() { AllowDuplicateProperties = false };

    public static IEndpointRouteBuilder MapDeviceEndpoints(this IEndpointRouteBuilder app)
    {
        app.Map(Path, ConnectAsync);
        return app;
    }

    private static async Task ConnectAsync(
        HttpContext http, DeviceHub hub, AccessTokenValidator tokens, EmulatorState state, CallEngine calls, CallRinging ringing, IHostApplicationLifetime lifetime,
        TimeProvider time)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        // Open sockets must not hold up the emulator's shutdown.
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        Device? device = null;
        try
        {
            while (await ReceiveAsync(socket, connection.Token) is { } message)
            {
                var type = Text(message, "type");
                if (device is null)
                {
                    device = await RegisterAsync(socket, message, tokens, ringing, type);
                    if (device is null)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "token refused", CancellationToken.None);
                        return;
                    }

                    _ = ExpireAsync(device, hub, time, connection.Token);
                    continue;
                }

                // A device acts only on calls that rang it, or that it answered: never on someone else's call.
                var call = Text(message, "callSid") is { } sid ? state.FindCall(sid) : null;
                switch (type)
                {
                    case "accept" when call is not null && hub.IsOfferedTo(call, device):
                        ringing.Answer(call, device.Id);
                        break;
                    case "reject" when call is not null && hub.Decline(call, device):
                        ringing.Decline(call);
                        break;
                    case "hangup" when call is not null && (hub.IsOfferedTo(call, device) || ringing.IsAnsweredBy(call, device.Id)):
                        calls.Hangup(call);
                        break;
                    case "updateToken":
                        var check = tokens.Check(Text(message, "token"));
                        if (check.IsValid && check.Identity == device.Identity)
                        {
                            device.TokenExpires = check.Expires;
                            await device.SendAsync(new JsonObject { ["type"] = "tokenUpdated" });
                        }
                        else
                        {
                            await device.SendAsync(Error(check.IsValid ? 20101 : check.ErrorCode, check.Error ?? "The new token is for another identity"));
                        }

                        break;
                }
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
            // The page closed without a goodbye, the emulator dropped it, or the emulator is stopping.
        }
        finally
        {
            await connection.CancelAsync();
            if (device is not null)
            {
                hub.Remove(device);
            }
        }
    }

    /// <summary>Waits for the device's token to expire (each updateToken moves the time); then it is unregistered.</summary>
    private static async Task ExpireAsync(Device device, DeviceHub hub, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            while (device.TokenExpires is { } expires)
            {
                var left = expires - time.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    hub.Remove(device);
                    await device.SendAsync(Error(20104, "Access Token expired or expiration date invalid"));
                    await device.CloseAsync(WebSocketCloseStatus.PolicyViolation, "token expired");
                    return;
                }

                await Task.Delay(left + TimeSpan.FromMilliseconds(50), time, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The device went away first.
        }
    }

    private static async Task<Device?> RegisterAsync(WebSocket socket, JsonObject message, AccessTokenValidator tokens, CallRinging ringing, string? type)
    {
        var check = type == "register" ? tokens.Check(Text(message, "token")) : new TokenCheck(null, null, 31000, "register first");
        if (!check.IsValid)
        {
            var refused = new Device("refused", string.Empty, socket);
            await refused.SendAsync(Error(check.ErrorCode, check.Error!));
            return null;
        }

        var device = new Device(Sids.New("DV"), check.Identity!, socket)
        {
            TokenExpires = check.Expires,
            AllowIncomingWhileBusy = Flag(message, "allowIncomingWhileBusy"),
        };
        // After a signalling drop the device names the calls it still has open, to take them back.
        var open = message["calls"] is JsonArray sids ? sids.Select(sid => sid is JsonValue value && value.TryGetValue<string>(out var text) ? text : null) : [];
        var resumed = ringing.Connect(device, open.OfType<string>());
        await device.SendAsync(new JsonObject
        {
            ["type"] = "registered",
            ["identity"] = device.Identity,
            ["deviceId"] = device.Id,
            ["calls"] = new JsonArray([.. resumed.Select(sid => (JsonNode?)sid)]),
        });
        return device;
    }

    /// <summary>A string property, or null when it is absent or not a string: a message of another shape is ignored, not fatal.</summary>
    private static string? Text(JsonObject message, string key) =>
        message[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>A boolean property; false when it is absent or not a boolean.</summary>
    private static bool Flag(JsonObject message, string key) =>
        message[key] is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;

    private static JsonObject Error(int code, string message) => new() { ["type"] = "error", ["code"] = code, ["message"] = message };

    private static async Task<JsonObject?> ReceiveAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        using var text = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            text.Write(buffer, 0, result.Count);
            if (text.Length > 64 * 1024)
            {
                return null;
            }

            if (result.EndOfMessage)
            {
                try
                {
                    // Duplicate keys are refused while parsing; JsonObject would otherwise throw on first access.
                    return JsonNode.Parse(Encoding.UTF8.GetString(text.ToArray()), documentOptions: UniqueKeys) as JsonObject ?? [];
                }
                catch (JsonException)
                {
                    return [];
                }
            }
        }
    }
}
