using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using WarmTransfer.TwilioEmulator.Model;

namespace WarmTransfer.TwilioEmulator.Clients;

/// <summary>A registered browser (or test) device of a client identity, connected over a WebSocket.</summary>
public sealed class Device(string id, string identity, WebSocket socket)
{
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly List<string> _answered = [];

    public string Id { get; } = id;
    public string Identity { get; set; } = identity;
    public DateTimeOffset? TokenExpires { get; set; }

    /// <summary>Whether calls are offered while it is busy; the Voice SDK's default, false, is Twilio's too.</summary>
    public bool AllowIncomingWhileBusy { get; init; }

    /// <summary>The live call this device answered (the latest, if it takes calls while busy); null when it is free.</summary>
    public string? CallSid
    {
        get
        {
            lock (_answered)
            {
                return _answered.Count == 0 ? null : _answered[^1];
            }
        }
    }

    public bool IsBusy => CallSid is not null;

    internal void Answered(string callSid)
    {
        lock (_answered)
        {
            if (!_answered.Contains(callSid))
            {
                _answered.Add(callSid);
            }
        }
    }

    internal void Ended(string callSid)
    {
        lock (_answered)
        {
            _answered.Remove(callSid);
        }
    }

    /// <summary>Cuts the connection with no close handshake, as a network drop does: the device sees close code 1006.</summary>
    public void Abort() => socket.Abort();

    /// <summary>Closes the socket from the emulator's side; the device's receive loop then unregisters it.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        await _sending.WaitAsync();
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                await socket.CloseOutputAsync(status, reason, CancellationToken.None);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Already gone.
        }
        finally
        {
            _sending.Release();
        }
    }

    public async Task SendAsync(JsonObject message)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message);
        await _sending.WaitAsync();
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The page went away; its receive loop unregisters it.
        }
        finally
        {
            _sending.Release();
        }
    }
}

/// <summary>Registered devices, and which devices a ringing call was offered to.</summary>
public sealed class DeviceHub(ILogger<DeviceHub> logger)
{
    private readonly ConcurrentDictionary<string, Device> _devices = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HashSet<string>> _offers = new(StringComparer.Ordinal);

    public IReadOnlyList<Device> Devices => [.. _devices.Values];

    public void Add(Device device)
    {
        _devices[device.Id] = device;
        logger.LogInformation("Device {DeviceId} registered for {Identity}", device.Id, device.Identity);
    }

    public Device? Find(string id) => _devices.GetValueOrDefault(id);

    public bool IsRegistered(string id) => _devices.ContainsKey(id);

    /// <summary>
    /// Unregisters the device; calls ringing it stop ringing it (they ring on for the others, or until their timeout).
    /// A call it answered goes on: on Twilio media outlives a signalling drop.
    /// </summary>
    public void Remove(Device device)
    {
        if (!_devices.TryRemove(device.Id, out _))
        {
            return;
        }

        foreach (var offered in _offers.Values)
        {
            lock (offered)
            {
                offered.Remove(device.Id);
            }
        }

        logger.LogInformation("Device {DeviceId} of {Identity} unregistered", device.Id, device.Identity);
    }

    /// <summary>
    /// Unregisters the device and ends its connection: cut as a network drop would (the Voice SDK then reconnects by
    /// itself), or, without <paramref name="reconnect"/>, closed with <see cref="DeviceEndpoints.RemovedCloseStatus"/>,
    /// which tells the device to stay away, as a closed tab would.
    /// </summary>
    public async Task DropAsync(Device device, bool reconnect)
    {
        Remove(device);
        if (reconnect)
        {
            device.Abort();
        }
        else
        {
            await device.CloseAsync(DeviceEndpoints.RemovedCloseStatus, "removed by the emulator");
        }
    }

    /// <summary>
    /// Rings every device of the identity that is free (or takes calls while busy); returns how many. With none, the call
    /// rings on unanswered, as on Twilio.
    /// </summary>
    public int Offer(Call call, string identity, IReadOnlyDictionary<string, string> parameters)
    {
        var targets = _devices.Values.Where(device => device.Identity == identity && (!device.IsBusy || device.AllowIncomingWhileBusy)).ToList();
        if (targets.Count == 0)
        {
            return 0;
        }

        _offers[call.Sid] = targets.Select(device => device.Id).ToHashSet(StringComparer.Ordinal);
        var message = new JsonObject
        {
            ["type"] = "incoming",
            ["callSid"] = call.Sid,
            ["parameters"] = new JsonObject(parameters.Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)pair.Value))),
        };
        foreach (var device in targets)
        {
            _ = device.SendAsync((JsonObject)message.DeepClone());
        }

        return targets.Count;
    }

    /// <summary>Whether the call is ringing this device: a device may answer or decline only a call offered to it.</summary>
    public bool IsOfferedTo(Call call, Device device)
    {
        if (!_offers.TryGetValue(call.Sid, out var offered))
        {
            return false;
        }

        lock (offered)
        {
            return offered.Contains(device.Id);
        }
    }

    /// <summary>
    /// A device declined: it stops ringing; true when the call was ringing it. As on Twilio, the first decline ends the
    /// call busy, and the other devices hear cancel when the offer is withdrawn.
    /// </summary>
    public bool Decline(Call call, Device device)
    {
        if (!_offers.TryGetValue(call.Sid, out var offered))
        {
            return false;
        }

        lock (offered)
        {
            return offered.Remove(device.Id);
        }
    }

    /// <summary>The device's answer won: it is busy until the call ends. Called under the state lock, with the answer.</summary>
    public void Answered(Call call, string deviceId)
    {
        if (_devices.TryGetValue(deviceId, out var device))
        {
            device.Answered(call.Sid);
        }
    }

    /// <summary>
    /// The call stopped ringing or ended: other devices hear cancel, the answering one (<paramref name="answeredBy"/>,
    /// read by the caller under the state lock) disconnect.
    /// </summary>
    public void Withdraw(Call call, string? answeredBy)
    {
        if (_offers.TryRemove(call.Sid, out var offered))
        {
            List<string> others;
            lock (offered)
            {
                others = [.. offered.Where(id => id != answeredBy)];
            }

            foreach (var id in others)
            {
                if (_devices.TryGetValue(id, out var device))
                {
                    _ = device.SendAsync(new JsonObject { ["type"] = "cancel", ["callSid"] = call.Sid });
                }
            }
        }

        if (call.IsEnded && answeredBy is { } answering && _devices.TryGetValue(answering, out var connected))
        {
            connected.Ended(call.Sid);
            _ = connected.SendAsync(new JsonObject { ["type"] = "disconnect", ["callSid"] = call.Sid });
        }
    }
}
