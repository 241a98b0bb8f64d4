using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Twilio.Jwt.AccessToken;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>The emulator's voice-sdk.js, driven by softphone code written against @twilio/voice-sdk 2.x, in Node.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class VoiceSdkModuleTests(EmulatorFixture emulator)
{
    [Fact]
    public async Task A_softphone_registers_accepts_an_incoming_call_and_hears_the_disconnect()
    {
        var identity = $"js-{Guid.NewGuid():N}"[..20];
        await using var softphone = Softphone.Start(emulator, Token(identity, DateTime.UtcNow.AddMinutes(10)));
        await softphone.WaitForLineAsync($"registered {identity}");

        var call = await CallResource.CreateAsync(new Client(identity), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml("<Response><Pause length=\"600\"/></Response>"), client: emulator.Twilio);
        await softphone.WaitForLineAsync($"incoming {call.Sid} from {EmulatorFixture.SupportNumber}");
        await softphone.WaitForLineAsync("accepted");
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.InProgress,
            "the call to be answered by the softphone");

        await CallResource.UpdateAsync(call.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);

        await softphone.WaitForLineAsync("disconnected");
        Assert.Equal(0, await softphone.ExitCodeAsync());
    }

    [Fact]
    public async Task An_expired_token_reaches_the_page_as_error_20104()
    {
        await using var softphone = Softphone.Start(emulator, Token("js-expired", DateTime.UtcNow.AddMinutes(-1)));

        await softphone.WaitForLineAsync("error 20104");
        Assert.Equal(2, await softphone.ExitCodeAsync());
    }

    [Fact]
    public async Task A_softphone_on_a_call_is_not_offered_a_second_one()
    {
        var identity = $"js-{Guid.NewGuid():N}"[..20];
        await using var softphone = Softphone.Start(emulator, Token(identity, DateTime.UtcNow.AddMinutes(10)), "device-events.mjs",
            new Dictionary<string, string> { ["ON_INCOMING"] = "accept" });
        await softphone.WaitForLineAsync("registered");
        var first = await PlaceCallAsync(identity);
        await softphone.WaitForLineAsync($"accept {first.Sid}");
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(first.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.InProgress,
            "the first call to be answered");

        var second = await PlaceCallAsync(identity, timeout: 1);

        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(second.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.NoAnswer,
            "the second call to ring on unanswered", TimeSpan.FromSeconds(20));
        Assert.DoesNotContain($"incoming {second.Sid}", softphone.Lines);
        await CallResource.UpdateAsync(first.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
        await softphone.WaitForLineAsync($"disconnect {first.Sid}");
    }

    [Fact]
    public async Task A_softphone_made_with_allowIncomingWhileBusy_rings_while_on_a_call()
    {
        var identity = $"js-{Guid.NewGuid():N}"[..20];
        await using var softphone = Softphone.Start(emulator, Token(identity, DateTime.UtcNow.AddMinutes(10)), "device-events.mjs",
            new Dictionary<string, string> { ["ON_INCOMING"] = "accept", ["ALLOW_INCOMING_WHILE_BUSY"] = "true" });
        await softphone.WaitForLineAsync("registered");
        var first = await PlaceCallAsync(identity);
        await softphone.WaitForLineAsync($"accept {first.Sid}");
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(first.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.InProgress,
            "the first call to be answered");

        var second = await PlaceCallAsync(identity);

        await softphone.WaitForLineAsync($"incoming {second.Sid}");
        await CallResource.UpdateAsync(first.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
        await CallResource.UpdateAsync(second.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
    }

    [Fact]
    public async Task When_one_of_two_softphones_of_an_identity_rejects_the_call_ends_busy_and_the_other_hears_cancel()
    {
        var identity = $"js-{Guid.NewGuid():N}"[..20];
        var token = Token(identity, DateTime.UtcNow.AddMinutes(10));
        await using var rejecting = Softphone.Start(emulator, token, "device-events.mjs", new Dictionary<string, string> { ["ON_INCOMING"] = "reject" });
        await using var ringing = Softphone.Start(emulator, token, "device-events.mjs");
        await rejecting.WaitForLineAsync("registered");
        await ringing.WaitForLineAsync("registered");

        var call = await PlaceCallAsync(identity);

        await rejecting.WaitForLineAsync($"reject {call.Sid}");
        await ringing.WaitForLineAsync($"cancel {call.Sid}");
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Busy,
            "the rejection to end the call busy");
    }

    [Fact]
    public async Task After_a_signalling_drop_the_softphone_reconnects_registers_again_keeps_its_call_and_rings_for_later_calls()
    {
        var identity = $"js-{Guid.NewGuid():N}"[..20];
        await using var softphone = Softphone.Start(emulator, Token(identity, DateTime.UtcNow.AddMinutes(10)), "device-events.mjs",
            new Dictionary<string, string> { ["ON_INCOMING"] = "accept" });
        await softphone.WaitForLineAsync("registered");
        var first = await PlaceCallAsync(identity);
        await softphone.WaitForLineAsync($"accept {first.Sid}");
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(first.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.InProgress,
            "the call to be answered");
        var dropped = Assert.Single(await DevicesOfAsync(identity)).GetProperty("id").GetString();
        var mark = softphone.Lines.Count;

        (await emulator.Admin.PostAsync($"/admin/devices/{dropped}/drop", null)).EnsureSuccessStatusCode();

        await softphone.WaitForLineAsync("registered", after: mark);
        var events = softphone.Lines.Skip(mark).Where(line => line is "unregistered" or "registering" or "registered").ToList();
        Assert.Equal(["unregistered", "registering", "registered"], events);
        Assert.DoesNotContain($"disconnect {first.Sid}", softphone.Lines);
        var device = Assert.Single(await DevicesOfAsync(identity));
        Assert.NotEqual(dropped, device.GetProperty("id").GetString());
        Assert.Equal(first.Sid, device.GetProperty("callSid").GetString());
        Assert.Equal(CallResource.StatusEnum.InProgress, (await CallResource.FetchAsync(first.Sid, client: emulator.Twilio)).Status);

        await CallResource.UpdateAsync(first.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
        await softphone.WaitForLineAsync($"disconnect {first.Sid}");
        var later = await PlaceCallAsync(identity);
        await softphone.WaitForLineAsync($"incoming {later.Sid}");
        await CallResource.UpdateAsync(later.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
    }

    [Fact]
    public async Task A_softphone_dropped_without_reconnect_stays_unregistered_and_is_not_offered_calls()
    {
        var identity = $"js-{Guid.NewGuid():N}"[..20];
        await using var softphone = Softphone.Start(emulator, Token(identity, DateTime.UtcNow.AddMinutes(10)), "device-events.mjs");
        await softphone.WaitForLineAsync("registered");
        var dropped = Assert.Single(await DevicesOfAsync(identity)).GetProperty("id").GetString();
        var mark = softphone.Lines.Count;

        (await emulator.Admin.PostAsync($"/admin/devices/{dropped}/drop?reconnect=false", null)).EnsureSuccessStatusCode();

        await softphone.WaitForLineAsync("unregistered", after: mark);
        var call = await PlaceCallAsync(identity, timeout: 1);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.NoAnswer,
            "the call to ring unanswered", TimeSpan.FromSeconds(20));
        Assert.Equal(["unregistered"], softphone.Lines.Skip(mark));
        Assert.Empty(await DevicesOfAsync(identity));
    }

    [Fact]
    public async Task After_a_fatal_token_error_a_dropped_softphone_does_not_reconnect()
    {
        var identity = $"js-{Guid.NewGuid():N}"[..20];
        var forged = new Token(EmulatorFixture.AccountSid, EmulatorFixture.ApiKeySid, "not-the-api-key-secret-0123456789abcdef", identity,
            expiration: DateTime.UtcNow.AddMinutes(10), grants: new HashSet<IGrant> { new VoiceGrant { IncomingAllow = true } }).ToJwt();
        await using var softphone = Softphone.Start(emulator, Token(identity, DateTime.UtcNow.AddMinutes(10)), "device-events.mjs",
            new Dictionary<string, string> { ["NEXT_TOKEN"] = forged });
        await softphone.WaitForLineAsync("error 20101");
        var dropped = Assert.Single(await DevicesOfAsync(identity)).GetProperty("id").GetString();
        var mark = softphone.Lines.Count;

        (await emulator.Admin.PostAsync($"/admin/devices/{dropped}/drop", null)).EnsureSuccessStatusCode();

        await softphone.WaitForLineAsync("unregistered", after: mark);
        var call = await PlaceCallAsync(identity, timeout: 1);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.NoAnswer,
            "the call to ring unanswered", TimeSpan.FromSeconds(20));
        Assert.DoesNotContain("registering", softphone.Lines.Skip(mark));
        Assert.Empty(await DevicesOfAsync(identity));
    }

    [Fact]
    public async Task The_module_is_served_so_pages_on_other_origins_can_import_it()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sdk/voice-sdk.js");
        request.Headers.Add("Origin", "http://localhost:5999");

        using var response = await emulator.Admin.SendAsync(request);

        response.EnsureSuccessStatusCode();
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("export class Device", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_emulator_page_offers_a_simulated_customer_call()
    {
        var page = await emulator.Admin.GetStringAsync("/");

        Assert.Contains("<form", page);
        Assert.Contains("Call the support line", page);
        Assert.Contains("admin.js", page);
    }

    /// <summary>A call to the identity that, once answered, stays up until it is hung up.</summary>
    private Task<CallResource> PlaceCallAsync(string identity, int? timeout = null) =>
        CallResource.CreateAsync(new Client(identity), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml("<Response><Pause length=\"600\"/></Response>"), timeout: timeout, client: emulator.Twilio);

    private async Task<JsonElement[]> DevicesOfAsync(string identity) =>
        [.. (await emulator.StateAsync()).GetProperty("devices").EnumerateArray().Where(d => d.GetProperty("identity").GetString() == identity)];

    private static string Token(string identity, DateTime expires) =>
        new Token(EmulatorFixture.AccountSid, EmulatorFixture.ApiKeySid, EmulatorFixture.ApiKeySecret, identity, expiration: expires,
            grants: new HashSet<IGrant> { new VoiceGrant { IncomingAllow = true } }).ToJwt();

    private sealed class Softphone : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _lines = new();

        private Softphone(Process process) => _process = process;

        /// <summary>
        /// Runs a script of <c>js/</c> against the module: <c>softphone.mjs</c> (accepts the first call, exits when it ends)
        /// or <c>device-events.mjs</c> (prints every event, answers as <c>ON_INCOMING</c> says, runs until stopped).
        /// </summary>
        public static Softphone Start(EmulatorFixture emulator, string token, string script = "softphone.mjs",
            IReadOnlyDictionary<string, string>? environment = null)
        {
            var root = RepositoryRoot.Find();
            var startInfo = new ProcessStartInfo("node", [
                Path.Combine(root, "tests", "TwilioEmulator.Tests", "js", script)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            startInfo.Environment["VOICE_SDK_URL"] = new Uri(Path.Combine(root, "TwilioEmulator", "wwwroot", "sdk", "voice-sdk.js")).AbsoluteUri;
            startInfo.Environment["EMULATOR_URL"] = emulator.BaseUrl;
            startInfo.Environment["ACCESS_TOKEN"] = token;
            foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            {
                startInfo.Environment[name] = value;
            }

            var softphone = new Softphone(Process.Start(startInfo)!);
            softphone._process.OutputDataReceived += (_, line) => { if (line.Data is not null) softphone._lines.Enqueue(line.Data); };
            softphone._process.ErrorDataReceived += (_, line) => { if (line.Data is not null) softphone._lines.Enqueue($"stderr: {line.Data}"); };
            softphone._process.BeginOutputReadLine();
            softphone._process.BeginErrorReadLine();
            return softphone;
        }

        /// <summary>What it printed so far, in order.</summary>
        public IReadOnlyList<string> Lines => [.. _lines];

        /// <summary>Waits for the line, printed after the first <paramref name="after"/> lines.</summary>
        public Task WaitForLineAsync(string line, int after = 0, TimeSpan? timeout = null) =>
            Poll.UntilAsync(() => Task.FromResult(Lines.Skip(after).Contains(line)),
                $"'{line}' from the softphone after line {after}; it printed: {string.Join(" | ", _lines)}", timeout);

        public async Task<int> ExitCodeAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
            return _process.ExitCode;
        }

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
