using System.Net.Http.Json;
using System.Text.Json;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;
using WarmTransfer.TwilioEmulator.Voice;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>An emulator whose number has a voice fallback URL, and a short webhook timeout.</summary>
public sealed class VoiceFallbackFixture : EmulatorFixture
{
    public const string NumberVoicePath = "/number/voice";
    public const string NumberFallbackPath = "/number/fallback";

    protected override IEnumerable<string> Settings(WebhookServer webhooks) =>
    [
        $"--Twilio:VoiceUrl={webhooks.Url(NumberVoicePath)}",
        $"--Twilio:VoiceFallbackUrl={webhooks.Url(NumberFallbackPath)}",
        // Short, so the test of a voice URL that does not answer is quick; long enough that a loaded machine answers every other request in time.
        "--Emulator:WebhookTimeout=00:00:02",
    ];
}

/// <summary>When the number's voice URL fails an incoming call, Twilio asks the fallback URL and runs its TwiML.</summary>
public sealed class VoiceFallbackTests(VoiceFallbackFixture emulator) : IClassFixture<VoiceFallbackFixture>
{
    [Fact]
    public async Task A_voice_url_answering_500_is_followed_by_the_fallback_with_the_error_and_its_twiml_runs()
    {
        var id = Guid.NewGuid().ToString("N");
        var voiceUrl = emulator.Webhooks.ServeStatus(VoiceFallbackFixture.NumberVoicePath, 500);
        var fallbackUrl = emulator.Webhooks.Serve(VoiceFallbackFixture.NumberFallbackPath,
            $"<Response><Say>Sorry</Say><Redirect>after-fallback/{id}</Redirect></Response>");
        emulator.Webhooks.Serve($"/number/after-fallback/{id}", "<Response><Hangup/></Response>");

        var sid = await CallSupportAsync();

        var fallback = await FallbackRequestAsync(sid);
        Assert.Equal("POST", fallback.Method);
        Assert.Equal("11200", fallback["ErrorCode"]);
        Assert.Equal(voiceUrl, fallback["ErrorUrl"]);
        Assert.Equal("inbound", fallback["Direction"]);
        Assert.True(new Twilio.Security.RequestValidator(EmulatorFixture.AuthToken).Validate(fallbackUrl, fallback.Parameters.ToDictionary(), fallback.Signature));
        // The fallback's relative Redirect is relative to the fallback URL, and the call was answered by its <Say>.
        await emulator.Webhooks.WaitForAsync($"/number/after-fallback/{id}", received => received.Any(r => r["CallSid"] == sid));
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the call to end");
        Assert.NotNull((await CallResource.FetchAsync(sid, client: emulator.Twilio)).StartTime);
    }

    [Fact]
    public async Task A_voice_url_that_does_not_answer_in_time_is_followed_by_the_fallback()
    {
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        emulator.Webhooks.Serve(VoiceFallbackFixture.NumberVoicePath, _ => release.Task);
        emulator.Webhooks.Serve(VoiceFallbackFixture.NumberFallbackPath, "<Response><Hangup/></Response>");
        try
        {
            var sid = await CallSupportAsync();

            var fallback = await FallbackRequestAsync(sid);
            Assert.Equal("11200", fallback["ErrorCode"]);
        }
        finally
        {
            release.TrySetResult("<Response><Hangup/></Response>");
        }
    }

    [Fact]
    public async Task A_voice_url_answering_what_is_not_twiml_is_followed_by_the_fallback_with_12100()
    {
        emulator.Webhooks.Serve(VoiceFallbackFixture.NumberVoicePath, "<Response><Say>unclosed");
        emulator.Webhooks.Serve(VoiceFallbackFixture.NumberFallbackPath, "<Response><Hangup/></Response>");

        var sid = await CallSupportAsync();

        Assert.Equal("12100", (await FallbackRequestAsync(sid))["ErrorCode"]);
    }

    [Fact]
    public async Task A_voice_url_answering_more_than_64_kib_is_followed_by_the_fallback_with_11750()
    {
        var oversized = $"<Response><Say>{new string('x', WebhookClient.MaxBodyBytes)}</Say></Response>";
        emulator.Webhooks.Serve(VoiceFallbackFixture.NumberVoicePath, oversized);
        emulator.Webhooks.Serve(VoiceFallbackFixture.NumberFallbackPath, "<Response><Hangup/></Response>");

        var sid = await CallSupportAsync();

        Assert.Equal("11750", (await FallbackRequestAsync(sid))["ErrorCode"]);
    }

    [Fact]
    public async Task A_failing_fallback_ends_the_call_with_both_errors_logged()
    {
        emulator.Webhooks.ServeStatus(VoiceFallbackFixture.NumberVoicePath, 503);
        emulator.Webhooks.ServeStatus(VoiceFallbackFixture.NumberFallbackPath, 500);

        var sid = await CallSupportAsync();

        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the call to end");
        await Poll.UntilAsync(async () => (await ErrorsAsync(sid)).Count == 2, "both errors in the event log");
        Assert.Equal([11200, 11200], await ErrorsAsync(sid));
        Assert.Single(emulator.Webhooks.Received(VoiceFallbackFixture.NumberFallbackPath), r => r["CallSid"] == sid);
    }

    [Fact]
    public async Task Only_the_numbers_voice_url_falls_back_not_a_url_its_twiml_redirects_to()
    {
        var id = Guid.NewGuid().ToString("N");
        emulator.Webhooks.ServeStatus($"/number/broken/{id}", 500);
        emulator.Webhooks.Serve(VoiceFallbackFixture.NumberVoicePath, $"<Response><Redirect>broken/{id}</Redirect></Response>");
        emulator.Webhooks.Serve(VoiceFallbackFixture.NumberFallbackPath, "<Response><Hangup/></Response>");

        var sid = await CallSupportAsync();

        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the call to end");
        await Poll.UntilAsync(async () => (await ErrorsAsync(sid)).Count == 1, "the redirect's error in the event log");
        Assert.DoesNotContain(emulator.Webhooks.Received(VoiceFallbackFixture.NumberFallbackPath), r => r["CallSid"] == sid);
    }

    [Fact]
    public async Task The_admin_state_shows_the_numbers_fallback_url_and_method()
    {
        var number = (await emulator.StateAsync()).GetProperty("number");

        Assert.Equal(emulator.Webhooks.Url(VoiceFallbackFixture.NumberFallbackPath), number.GetProperty("voiceFallbackUrl").GetString());
        Assert.Equal("POST", number.GetProperty("voiceFallbackMethod").GetString());
    }

    private async Task<string> CallSupportAsync()
    {
        using var placed = await emulator.Admin.PostAsJsonAsync("/admin/calls", new { from = RedirectTests.UniqueNumber() });
        return (await placed.Content.ReadFromJsonAsync<Dictionary<string, string>>())!["sid"];
    }

    private async Task<ReceivedWebhook> FallbackRequestAsync(string callSid) =>
        (await emulator.Webhooks.WaitForAsync(VoiceFallbackFixture.NumberFallbackPath, received => received.Any(r => r["CallSid"] == callSid)))
            .Single(r => r["CallSid"] == callSid);

    private async Task<List<int>> ErrorsAsync(string callSid) =>
        [.. (await emulator.EventsAsync())
            .Where(e => e.GetProperty("callSid").GetString() == callSid && e.GetProperty("errorCode").ValueKind == JsonValueKind.Number)
            .Select(e => e.GetProperty("errorCode").GetInt32())];
}
