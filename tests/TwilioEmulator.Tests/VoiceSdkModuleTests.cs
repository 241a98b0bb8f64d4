using System.Collections.Concurrent;
using System.Diagnostics;
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

    private static string Token(string identity, DateTime expires) =>
        new Token(EmulatorFixture.AccountSid, EmulatorFixture.ApiKeySid, EmulatorFixture.ApiKeySecret, identity, expiration: expires,
            grants: new HashSet<IGrant> { new VoiceGrant { IncomingAllow = true } }).ToJwt();

    private sealed class Softphone : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _lines = new();

        private Softphone(Process process) => _process = process;

        public static Softphone Start(EmulatorFixture emulator, string token)
        {
            var root = RepositoryRoot.Find();
            var startInfo = new ProcessStartInfo("node", [
                Path.Combine(root, "tests", "TwilioEmulator.Tests", "js", "softphone.mjs")])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            startInfo.Environment["VOICE_SDK_URL"] = new Uri(Path.Combine(root, "TwilioEmulator", "wwwroot", "sdk", "voice-sdk.js")).AbsoluteUri;
            startInfo.Environment["EMULATOR_URL"] = emulator.BaseUrl;
            startInfo.Environment["ACCESS_TOKEN"] = token;

            var softphone = new Softphone(Process.Start(startInfo)!);
            softphone._process.OutputDataReceived += (_, line) => { if (line.Data is not null) softphone._lines.Enqueue(line.Data); };
            softphone._process.ErrorDataReceived += (_, line) => { if (line.Data is not null) softphone._lines.Enqueue($"stderr: {line.Data}"); };
            softphone._process.BeginOutputReadLine();
            softphone._process.BeginErrorReadLine();
            return softphone;
        }

        public Task WaitForLineAsync(string line) =>
            Poll.UntilAsync(() => Task.FromResult(_lines.Contains(line)), $"'{line}' from the softphone; it printed: {string.Join(" | ", _lines)}");

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
