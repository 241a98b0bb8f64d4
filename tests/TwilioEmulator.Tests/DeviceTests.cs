using System.Net.WebSockets;
using System.Text;
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
        var identity = $"agent-{Guid.NewGuid():N}"[..20];
        using var desk = await ConnectAsync();
        using var laptop = await ConnectAsync();
        await RegisterAsync(desk, Token(identity));
        await RegisterAsync(laptop, Token(identity));

        var call = await CallResource.CreateAsync(new Client(identity), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml("<Response><Pause length=\"600\"/></Response>"), client: emulator.Twilio);
        Assert.Equal("incoming", (await ReceiveAsync(desk))["type"]!.GetValue<string>());
        Assert.Equal("incoming", (await ReceiveAsync(laptop))["type"]!.GetValue<string>());

        await SendAsync(desk, new JsonObject { ["type"] = "accept", ["callSid"] = call.Sid });

        var cancel = await ReceiveAsync(laptop);
        Assert.Equal("cancel", cancel["type"]!.GetValue<string>());
        await CallResource.UpdateAsync(call.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
        Assert.Equal("disconnect", (await ReceiveAsync(desk))["type"]!.GetValue<string>());
    }

    public static TheoryData<string, int> RefusedTokens => new()
    {
        { "expired", 20104 },
        { "wrong-signature", 20107 },
        { "no-voice-grant", 20106 },
        { "incoming-not-allowed", 20106 },
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
            "wrong-signature" => Token(identity, secret: "some-other-secret-0123456789abcdefghij"),
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

    private static string Token(string identity, DateTime? expires = null, string secret = EmulatorFixture.ApiKeySecret) =>
        new Token(EmulatorFixture.AccountSid, EmulatorFixture.ApiKeySid, secret, identity,
            expiration: expires ?? DateTime.UtcNow.AddMinutes(10),
            grants: new HashSet<IGrant> { new VoiceGrant { IncomingAllow = true } }).ToJwt();

    private async Task<ClientWebSocket> ConnectAsync()
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(emulator.BaseUrl.Replace("http://", "ws://") + "/voice/devices"), CancellationToken.None);
        return socket;
    }

    private static async Task<JsonObject> RegisterAsync(ClientWebSocket socket, string token)
    {
        await SendAsync(socket, new JsonObject { ["type"] = "register", ["token"] = token });
        return await ReceiveAsync(socket);
    }

    private static Task SendAsync(ClientWebSocket socket, JsonObject message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<JsonObject> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(Receive);
        var result = await socket.ReceiveAsync(buffer, timeout.Token);
        return (JsonObject)JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, result.Count))!;
    }
}
