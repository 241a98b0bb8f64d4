using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Twilio.Jwt.AccessToken;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>Browser clients: AccessToken registration over the device socket, ringing, accept and hang-up.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class DeviceTests(EmulatorFixture emulator)
{
    private static readonly TimeSpan Receive = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_valid_token_registers_and_a_call_to_the_identity_rings_the_device_which_accepts_and_hangs_up()
    {
        var identity = $"agent-{Guid.NewGuid():N}"[..20];
        using var device = await ConnectAsync();
        var registered = await RegisterAsync(device, Token(identity));
        Assert.Equal("registered", registered["type"]!.GetValue<string>());
        Assert.Equal(identity, registered["identity"]!.GetValue<string>());

        var call = await CallResource.CreateAsync(new Client(identity), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml("<Response><Pause length=\"600\"/></Response>"), client: emulator.Twilio);
        var incoming = await ReceiveAsync(device);
        Assert.Equal("incoming", incoming["type"]!.GetValue<string>());
        Assert.Equal(call.Sid, incoming["callSid"]!.GetValue<string>());
        Assert.Equal($"client:{identity}", incoming["parameters"]!["To"]!.GetValue<string>());

        await SendAsync(device, new JsonObject { ["type"] = "accept", ["callSid"] = call.Sid });
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.InProgress,
            "the call to be answered");

        await SendAsync(device, new JsonObject { ["type"] = "hangup", ["callSid"] = call.Sid });
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the call to end");
    }

    [Fact]
    public async Task A_device_that_rejects_ends_the_call_busy_and_a_canceled_call_tells_the_device()
    {
        var identity = $"agent-{Guid.NewGuid():N}"[..20];
        using var device = await ConnectAsync();
        await RegisterAsync(device, Token(identity));

        var rejected = await CallResource.CreateAsync(new Client(identity), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml("<Response><Hangup/></Response>"), client: emulator.Twilio);
        await ReceiveAsync(device);
        await SendAsync(device, new JsonObject { ["type"] = "reject", ["callSid"] = rejected.Sid });
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(rejected.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Busy,
            "busy");

        var canceled = await CallResource.CreateAsync(new Client(identity), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml("<Response><Hangup/></Response>"), client: emulator.Twilio);
        Assert.Equal("incoming", (await ReceiveAsync(device))["type"]!.GetValue<string>());
        await CallResource.UpdateAsync(canceled.Sid, status: CallResource.UpdateStatusEnum.Canceled, client: emulator.Twilio);
        var cancel = await ReceiveAsync(device);
        Assert.Equal("cancel", cancel["type"]!.GetValue<string>());
        Assert.Equal(canceled.Sid, cancel["callSid"]!.GetValue<string>());
    }

    [Fact]
    public async Task When_one_device_of_an_identity_accepts_the_others_stop_ringing()
    {
        var (_, desk, laptop, call) = await TwoDevicesRingingAsync();
        using var deskSocket = desk;
        using var laptopSocket = laptop;

        await SendAsync(desk, new JsonObject { ["type"] = "accept", ["callSid"] = call.Sid });

        var cancel = await ReceiveAsync(laptop);
        Assert.Equal("cancel", cancel["type"]!.GetValue<string>());
        await CallResource.UpdateAsync(call.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
        Assert.Equal("disconnect", (await ReceiveAsync(desk))["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task When_one_device_of_an_identity_rejects_the_call_ends_busy_and_the_others_hear_cancel()
    {
        var (identity, desk, laptop, call) = await TwoDevicesRingingAsync();
        using var deskSocket = desk;
        using var laptopSocket = laptop;

        await SendAsync(desk, new JsonObject { ["type"] = "reject", ["callSid"] = call.Sid });

        var cancel = await ReceiveAsync(laptop);
        Assert.Equal("cancel", cancel["type"]!.GetValue<string>());
        Assert.Equal(call.Sid, cancel["callSid"]!.GetValue<string>());
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Busy,
            "the first rejection to end the call busy");

        // The device that declined hears nothing more about the call.
        await RoundTripAsync(desk, identity);
    }

    [Fact]
    public async Task A_device_on_a_call_is_not_offered_another_and_with_every_device_busy_the_call_rings_on_unanswered()
    {
        var identity = $"agent-{Guid.NewGuid():N}"[..20];
        using var desk = await ConnectAsync();
        using var laptop = await ConnectAsync();
        var deskId = (await RegisterAsync(desk, Token(identity)))["deviceId"]!.GetValue<string>();
        var laptopId = (await RegisterAsync(laptop, Token(identity)))["deviceId"]!.GetValue<string>();
        var first = await PlaceCallAsync(identity);
        Assert.Equal("incoming", (await ReceiveAsync(desk))["type"]!.GetValue<string>());
        Assert.Equal("incoming", (await ReceiveAsync(laptop))["type"]!.GetValue<string>());
        await SendAsync(desk, new JsonObject { ["type"] = "accept", ["callSid"] = first.Sid });
        Assert.Equal("cancel", (await ReceiveAsync(laptop))["type"]!.GetValue<string>());

        var busy = await DeviceStateAsync(deskId);
        Assert.True(busy.GetProperty("busy").GetBoolean());
        Assert.Equal(first.Sid, busy.GetProperty("callSid").GetString());
        Assert.False((await DeviceStateAsync(laptopId)).GetProperty("busy").GetBoolean());

        // Only the free device rings.
        var second = await PlaceCallAsync(identity);
        Assert.Equal(second.Sid, (await ReceiveAsync(laptop))["callSid"]!.GetValue<string>());
        await SendAsync(laptop, new JsonObject { ["type"] = "accept", ["callSid"] = second.Sid });

        // Nobody is free: it rings on until its timeout.
        var third = await PlaceCallAsync(identity, timeout: 1);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(third.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.NoAnswer,
            "no-answer", TimeSpan.FromSeconds(20));
        await RoundTripAsync(desk, identity);
        await RoundTripAsync(laptop, identity);

        await CallResource.UpdateAsync(first.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
        Assert.Equal("disconnect", (await ReceiveAsync(desk))["type"]!.GetValue<string>());
        var free = await DeviceStateAsync(deskId);
        Assert.False(free.GetProperty("busy").GetBoolean());
        Assert.Equal(JsonValueKind.Null, free.GetProperty("callSid").ValueKind);
    }

    [Fact]
    public async Task A_device_that_registered_with_allowIncomingWhileBusy_is_offered_calls_while_on_one()
    {
        var identity = $"agent-{Guid.NewGuid():N}"[..20];
        using var device = await ConnectAsync();
        await SendAsync(device, new JsonObject { ["type"] = "register", ["token"] = Token(identity), ["allowIncomingWhileBusy"] = true });
        Assert.Equal("registered", (await ReceiveAsync(device))["type"]!.GetValue<string>());
        var first = await PlaceCallAsync(identity);
        Assert.Equal("incoming", (await ReceiveAsync(device))["type"]!.GetValue<string>());
        await SendAsync(device, new JsonObject { ["type"] = "accept", ["callSid"] = first.Sid });
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(first.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.InProgress,
            "the first call to be answered");

        var second = await PlaceCallAsync(identity);

        var incoming = await ReceiveAsync(device);
        Assert.Equal("incoming", incoming["type"]!.GetValue<string>());
        Assert.Equal(second.Sid, incoming["callSid"]!.GetValue<string>());
        await CallResource.UpdateAsync(first.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
        await CallResource.UpdateAsync(second.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
    }

    [Fact]
    public async Task Dropping_a_device_cuts_its_socket_unregisters_it_and_its_ringing_call_rings_on()
    {
        var identity = $"agent-{Guid.NewGuid():N}"[..20];
        using var device = await ConnectAsync();
        var deviceId = (await RegisterAsync(device, Token(identity)))["deviceId"]!.GetValue<string>();
        var call = await PlaceCallAsync(identity);
        Assert.Equal("incoming", (await ReceiveAsync(device))["type"]!.GetValue<string>());

        using var dropped = await emulator.Admin.PostAsync($"/admin/devices/{deviceId}/drop", null);

        Assert.Equal(HttpStatusCode.NoContent, dropped.StatusCode);
        // No close handshake: a network drop.
        await Assert.ThrowsAsync<WebSocketException>(() => ReceiveAsync(device));
        Assert.DoesNotContain((await emulator.StateAsync()).GetProperty("devices").EnumerateArray(), d => d.GetProperty("id").GetString() == deviceId);
        Assert.Equal(CallResource.StatusEnum.Ringing, (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status);
        await CallResource.UpdateAsync(call.Sid, status: CallResource.UpdateStatusEnum.Canceled, client: emulator.Twilio);
    }

    [Fact]
    public async Task Dropping_a_device_without_reconnect_closes_its_socket_with_code_4000()
    {
        var identity = $"agent-{Guid.NewGuid():N}"[..20];
        using var device = await ConnectAsync();
        var deviceId = (await RegisterAsync(device, Token(identity)))["deviceId"]!.GetValue<string>();

        using var dropped = await emulator.Admin.PostAsync($"/admin/devices/{deviceId}/drop?reconnect=false", null);

        Assert.Equal(HttpStatusCode.NoContent, dropped.StatusCode);
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(Receive);
        var closing = await device.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal(WebSocketMessageType.Close, closing.MessageType);
        Assert.Equal(4000, (int)closing.CloseStatus!);
        Assert.DoesNotContain((await emulator.StateAsync()).GetProperty("devices").EnumerateArray(), d => d.GetProperty("id").GetString() == deviceId);
    }

    [Fact]
    public async Task Dropping_a_device_that_is_not_registered_answers_404_with_a_problem()
    {
        using var response = await emulator.Admin.PostAsync("/admin/devices/DV00000000000000000000000000000000/drop", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(404, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task A_call_answered_by_a_dropped_device_goes_on_and_the_device_takes_it_back_when_it_registers_again()
    {
        var identity = $"agent-{Guid.NewGuid():N}"[..20];
        using var before = await ConnectAsync();
        var droppedId = (await RegisterAsync(before, Token(identity)))["deviceId"]!.GetValue<string>();
        var call = await PlaceCallAsync(identity);
        Assert.Equal("incoming", (await ReceiveAsync(before))["type"]!.GetValue<string>());
        await SendAsync(before, new JsonObject { ["type"] = "accept", ["callSid"] = call.Sid });
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.InProgress,
            "the call to be answered");

        (await emulator.Admin.PostAsync($"/admin/devices/{droppedId}/drop", null)).EnsureSuccessStatusCode();
        Assert.Equal(CallResource.StatusEnum.InProgress, (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status);

        // Another identity cannot take the call; the same identity, naming it, can.
        using var stranger = await ConnectAsync();
        await SendAsync(stranger, new JsonObject { ["type"] = "register", ["token"] = Token($"other-{Guid.NewGuid():N}"[..20]), ["calls"] = new JsonArray(call.Sid) });
        Assert.Empty((await ReceiveAsync(stranger))["calls"]!.AsArray());
        using var after = await ConnectAsync();
        await SendAsync(after, new JsonObject { ["type"] = "register", ["token"] = Token(identity), ["calls"] = new JsonArray(call.Sid) });
        var registered = await ReceiveAsync(after);
        Assert.Equal(call.Sid, Assert.Single(registered["calls"]!.AsArray())!.GetValue<string>());
        var device = await DeviceStateAsync(registered["deviceId"]!.GetValue<string>());
        Assert.True(device.GetProperty("busy").GetBoolean());
        Assert.Equal(call.Sid, device.GetProperty("callSid").GetString());

        await CallResource.UpdateAsync(call.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
        var disconnect = await ReceiveAsync(after);
        Assert.Equal("disconnect", disconnect["type"]!.GetValue<string>());
        Assert.Equal(call.Sid, disconnect["callSid"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_device_cannot_answer_decline_or_hang_up_a_call_that_did_not_ring_it()
    {
        var (target, other) = ($"agent-{Guid.NewGuid():N}"[..20], $"other-{Guid.NewGuid():N}"[..20]);
        using var ringing = await ConnectAsync();
        using var stranger = await ConnectAsync();
        await RegisterAsync(ringing, Token(target));
        await RegisterAsync(stranger, Token(other));
        var call = await CallResource.CreateAsync(new Client(target), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml("<Response><Pause length=\"600\"/></Response>"), client: emulator.Twilio);
        Assert.Equal("incoming", (await ReceiveAsync(ringing))["type"]!.GetValue<string>());

        foreach (var type in new[] { "accept", "reject", "hangup" })
        {
            await SendAsync(stranger, new JsonObject { ["type"] = type, ["callSid"] = call.Sid });
        }

        await RoundTripAsync(stranger, other);
        Assert.Equal(CallResource.StatusEnum.Ringing, (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status);

        // Once the device it rang answered, only that device may hang it up.
        await SendAsync(ringing, new JsonObject { ["type"] = "accept", ["callSid"] = call.Sid });
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.InProgress,
            "the call to be answered");
        await SendAsync(stranger, new JsonObject { ["type"] = "hangup", ["callSid"] = call.Sid });
        await RoundTripAsync(stranger, other);
        Assert.Equal(CallResource.StatusEnum.InProgress, (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status);
        await SendAsync(ringing, new JsonObject { ["type"] = "hangup", ["callSid"] = call.Sid });
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the call to end");
    }

    [Fact]
    public async Task Messages_of_an_unexpected_shape_are_ignored_and_the_socket_stays_open()
    {
        var identity = $"agent-{Guid.NewGuid():N}"[..20];
        using var device = await ConnectAsync();
        await RegisterAsync(device, Token(identity));

        foreach (var text in new[]
        {
            """{"type":42}""", """{"type":"accept","callSid":42}""", """{"type":"hangup","callSid":["CA1"]}""",
            """{"type":"accept","type":"hangup"}""", """[1,2]""", """not json""", """{"type":"no-such-type"}""",
        })
        {
            await SendTextAsync(device, text);
        }

        await SendAsync(device, new JsonObject { ["type"] = "updateToken", ["token"] = new JsonObject { ["not"] = "a string" } });
        Assert.Equal("error", (await ReceiveAsync(device))["type"]!.GetValue<string>());
        await RoundTripAsync(device, identity);
    }

    [Fact]
    public async Task A_register_message_whose_token_is_not_a_string_is_refused_with_an_error()
    {
        using var device = await ConnectAsync();

        await SendTextAsync(device, """{"type":"register","token":42}""");

        var answer = await ReceiveAsync(device);
        Assert.Equal("error", answer["type"]!.GetValue<string>());
        Assert.Equal(20101, answer["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_call_to_a_client_rings_for_its_timeout_plus_five_seconds_with_no_device_or_a_never_answer_rule()
    {
        var (absent, never) = ($"absent-{Guid.NewGuid():N}"[..20], $"never-{Guid.NewGuid():N}"[..20]);
        (await emulator.Admin.PutAsJsonAsync($"/admin/answer-rules/client:{never}", new { action = "never" })).EnsureSuccessStatusCode();
        var clock = Stopwatch.StartNew();

        var calls = await Task.WhenAll(new[] { absent, never }.Select(identity => CallResource.CreateAsync(new Client(identity),
            new PhoneNumber(EmulatorFixture.SupportNumber), twiml: new Twilio.Types.Twiml("<Response><Hangup/></Response>"), timeout: 1,
            client: emulator.Twilio)));

        foreach (var call in calls)
        {
            await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.NoAnswer,
                "no-answer", TimeSpan.FromSeconds(20));
        }

        // A 1 s Timeout rings about 6 s: well past the Timeout alone, short of a second buffer.
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(5.9), TimeSpan.FromSeconds(11));
        await emulator.Admin.DeleteAsync($"/admin/answer-rules/client:{never}");
    }

    /// <summary>A device's messages are handled in order: once this answers, everything sent before it was handled.</summary>
    private static async Task RoundTripAsync(ClientWebSocket socket, string identity)
    {
        await SendAsync(socket, new JsonObject { ["type"] = "updateToken", ["token"] = Token(identity) });
        Assert.Equal("tokenUpdated", (await ReceiveAsync(socket))["type"]!.GetValue<string>());
    }

    private static Task SendTextAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public static TheoryData<string, int> RefusedTokens => new()
    {
        { "expired", 20104 },
        { "lives-over-24-hours", 20157 },
        { "wrong-signature", 20101 },
        { "wrong-issuer", 20101 },
        { "no-voice-grant", 20101 },
        { "incoming-not-allowed", 20101 },
        { "not-a-jwt", 20101 },
    };

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task A_bad_token_is_refused_and_the_socket_closed(string kind, int code)
    {
        var identity = $"agent-{Guid.NewGuid():N}"[..20];
        var token = kind switch
        {
            "expired" => Token(identity, expires: DateTime.UtcNow.AddMinutes(-1)),
            "lives-over-24-hours" => Token(identity, expires: DateTime.UtcNow.AddHours(25)),
            "wrong-signature" => Token(identity, secret: "some-other-secret-0123456789abcdefghij"),
            "wrong-issuer" => new Token(EmulatorFixture.AccountSid, "SK00000000000000000000000000000099", EmulatorFixture.ApiKeySecret, identity,
                expiration: DateTime.UtcNow.AddMinutes(10), grants: new HashSet<IGrant> { new VoiceGrant { IncomingAllow = true } }).ToJwt(),
            "no-voice-grant" => new Token(EmulatorFixture.AccountSid, EmulatorFixture.ApiKeySid, EmulatorFixture.ApiKeySecret, identity,
                expiration: DateTime.UtcNow.AddMinutes(10), grants: new HashSet<IGrant>()).ToJwt(),
            "incoming-not-allowed" => new Token(EmulatorFixture.AccountSid, EmulatorFixture.ApiKeySid, EmulatorFixture.ApiKeySecret, identity,
                expiration: DateTime.UtcNow.AddMinutes(10), grants: new HashSet<IGrant> { new VoiceGrant { IncomingAllow = false, OutgoingApplicationSid = "AP00000000000000000000000000000000" } }).ToJwt(),
            _ => "not-a-jwt",
        };

        using var device = await ConnectAsync();
        var answer = await RegisterAsync(device, token);

        Assert.Equal("error", answer["type"]!.GetValue<string>());
        Assert.Equal(code, answer["code"]!.GetValue<int>());
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(Receive);
        var closing = await device.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal(WebSocketMessageType.Close, closing.MessageType);
        var state = await emulator.StateAsync();
        Assert.DoesNotContain(state.GetProperty("devices").EnumerateArray(), d => d.GetProperty("identity").GetString() == identity);
    }

    [Fact]
    public async Task A_device_whose_token_expires_is_unregistered_unless_the_token_was_updated()
    {
        var identity = $"agent-{Guid.NewGuid():N}"[..20];
        using var renewed = await ConnectAsync();
        using var lapsed = await ConnectAsync();
        await RegisterAsync(renewed, Token(identity, DateTime.UtcNow.AddSeconds(2)));
        await RegisterAsync(lapsed, Token(identity, DateTime.UtcNow.AddSeconds(2)));
        await SendAsync(renewed, new JsonObject { ["type"] = "updateToken", ["token"] = Token(identity) });
        Assert.Equal("tokenUpdated", (await ReceiveAsync(renewed))["type"]!.GetValue<string>());

        var expired = await ReceiveAsync(lapsed);
        Assert.Equal("error", expired["type"]!.GetValue<string>());
        Assert.Equal(20104, expired["code"]!.GetValue<int>());
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(Receive);
        Assert.Equal(WebSocketMessageType.Close, (await lapsed.ReceiveAsync(buffer, timeout.Token)).MessageType);

        // Only the renewed device still rings.
        var call = await CallResource.CreateAsync(new Client(identity), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml("<Response><Hangup/></Response>"), client: emulator.Twilio);
        var incoming = await ReceiveAsync(renewed);
        Assert.Equal(call.Sid, incoming["callSid"]!.GetValue<string>());
        await SendAsync(renewed, new JsonObject { ["type"] = "reject", ["callSid"] = call.Sid });
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Busy,
            "the renewed device's rejection to end the call busy");
    }

    internal static string Token(string identity, DateTime? expires = null, string secret = EmulatorFixture.ApiKeySecret) =>
        new Token(EmulatorFixture.AccountSid, EmulatorFixture.ApiKeySid, secret, identity,
            expiration: expires ?? DateTime.UtcNow.AddMinutes(10),
            grants: new HashSet<IGrant> { new VoiceGrant { IncomingAllow = true } }).ToJwt();

    /// <summary>Two devices of one identity, both rung by one call that plays a long pause once answered.</summary>
    private async Task<(string Identity, ClientWebSocket Desk, ClientWebSocket Laptop, CallResource Call)> TwoDevicesRingingAsync()
    {
        var identity = $"agent-{Guid.NewGuid():N}"[..20];
        var desk = await ConnectAsync();
        var laptop = await ConnectAsync();
        await RegisterAsync(desk, Token(identity));
        await RegisterAsync(laptop, Token(identity));

        var call = await CallResource.CreateAsync(new Client(identity), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml("<Response><Pause length=\"600\"/></Response>"), client: emulator.Twilio);
        Assert.Equal("incoming", (await ReceiveAsync(desk))["type"]!.GetValue<string>());
        Assert.Equal("incoming", (await ReceiveAsync(laptop))["type"]!.GetValue<string>());
        return (identity, desk, laptop, call);
    }

    private Task<ClientWebSocket> ConnectAsync() => ConnectAsync(emulator);

    /// <summary>A call to the identity that, once answered, stays up until it is hung up.</summary>
    private Task<CallResource> PlaceCallAsync(string identity, int? timeout = null) =>
        CallResource.CreateAsync(new Client(identity), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml("<Response><Pause length=\"600\"/></Response>"), timeout: timeout, client: emulator.Twilio);

    /// <summary>The device as <c>GET /admin/state</c> lists it.</summary>
    private async Task<JsonElement> DeviceStateAsync(string deviceId) =>
        (await emulator.StateAsync()).GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("id").GetString() == deviceId);

    internal static async Task<ClientWebSocket> ConnectAsync(EmulatorFixture emulator)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(emulator.BaseUrl.Replace("http://", "ws://") + "/voice/devices"), CancellationToken.None);
        return socket;
    }

    internal static async Task<JsonObject> RegisterAsync(ClientWebSocket socket, string token)
    {
        await SendAsync(socket, new JsonObject { ["type"] = "register", ["token"] = token });
        return await ReceiveAsync(socket);
    }

    internal static Task SendAsync(ClientWebSocket socket, JsonObject message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

    internal static async Task<JsonObject> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(Receive);
        var result = await socket.ReceiveAsync(buffer, timeout.Token);
        return (JsonObject)JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, result.Count))!;
    }
}
