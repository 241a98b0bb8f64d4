using System.Net;
using System.Text.Json;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Rest.Api.V2010.Account.Conference;
using Twilio.Types;
using WarmTransfer.TwilioEmulator.Voice;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>An emulator that forgets ended calls and conferences after two seconds and follows five redirects in a row.</summary>
public sealed class BoundsFixture : EmulatorFixture
{
    public static readonly TimeSpan Retention = TimeSpan.FromSeconds(2);

    public const int RedirectLimit = 5;

    protected override IEnumerable<string> Settings(WebhookServer webhooks) =>
    [
        $"--Emulator:EndedRetention={Retention}",
        $"--Emulator:MaxConsecutiveRedirects={RedirectLimit}",
    ];
}

/// <summary>What the emulator keeps and reads is bounded: ended calls and conferences, TwiML answers, redirect loops.</summary>
public sealed class BoundsTests(BoundsFixture emulator) : IClassFixture<BoundsFixture>
{
    private const string Wait = "<Response><Pause length=\"600\"/></Response>";

    [Fact]
    public async Task An_ended_call_is_forgotten_after_the_retention_and_then_answers_as_an_unknown_sid()
    {
        var id = Guid.NewGuid().ToString("N");
        var live = await CreateAsync(RedirectTests.UniqueNumber(), twiml: Wait);
        var to = RedirectTests.UniqueNumber();
        var ended = await CreateAsync(to, twiml: "<Response><Hangup/></Response>", statusCallback: $"/status/{id}");
        await CompletedAsync($"/status/{id}");
        try
        {
            // Kept for the retention: a client reconciling right after the end still finds it.
            Assert.Equal(CallResource.StatusEnum.Completed, (await CallResource.FetchAsync(ended.Sid, client: emulator.Twilio)).Status);

            await Poll.UntilAsync(() => IsUnknownAsync(() => CallResource.FetchAsync(ended.Sid, client: emulator.Twilio)), "the ended call to be forgotten");

            var (status, body) = await emulator.PostFormAsync($"Calls/{ended.Sid}.json", ("Status", "completed"));
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal(20404, body!["code"]!.GetValue<int>());
            Assert.Empty(await CallResource.ReadAsync(to: new PhoneNumber(to), client: emulator.Twilio));
            Assert.DoesNotContain((await emulator.StateAsync()).GetProperty("calls").EnumerateArray(),
                call => call.GetProperty("sid").GetString() == ended.Sid);
            // Older than the forgotten call, but live.
            Assert.Equal(CallResource.StatusEnum.InProgress, (await CallResource.FetchAsync(live.Sid, client: emulator.Twilio)).Status);
        }
        finally
        {
            await HangUpAsync(live.Sid);
        }
    }

    [Fact]
    public async Task An_ended_conference_is_forgotten_after_the_retention()
    {
        var name = $"bounded-{Guid.NewGuid():N}";
        var participant = await ParticipantResource.CreateAsync(name, new PhoneNumber(EmulatorFixture.SupportNumber),
            new PhoneNumber(RedirectTests.UniqueNumber()), client: emulator.Twilio);
        await Poll.UntilAsync(async () => (await ParticipantResource.FetchAsync(participant.ConferenceSid, participant.CallSid, client: emulator.Twilio))
            .Status == ParticipantResource.StatusEnum.Connected, "the participant to connect");

        var ended = await ConferenceResource.UpdateAsync(participant.ConferenceSid, status: ConferenceResource.UpdateStatusEnum.Completed,
            client: emulator.Twilio);

        Assert.Equal(ConferenceResource.StatusEnum.Completed, ended.Status);
        await Poll.UntilAsync(() => IsUnknownAsync(() => ConferenceResource.FetchAsync(participant.ConferenceSid, client: emulator.Twilio)),
            "the ended conference to be forgotten");
        Assert.True(await IsUnknownAsync(() => ParticipantResource.ReadAsync(participant.ConferenceSid, client: emulator.Twilio)));
        Assert.Empty(await ConferenceResource.ReadAsync(friendlyName: name, client: emulator.Twilio));
    }

    [Fact]
    public async Task A_twiml_answer_of_64_kib_runs()
    {
        var path = $"/largest/{Guid.NewGuid():N}";
        emulator.Webhooks.Serve(path, Padded(Wait, WebhookClient.MaxBodyBytes));

        var call = await CreateAsync(RedirectTests.UniqueNumber(), url: path);
        try
        {
            await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.InProgress,
                "the call to run its pause");
            Assert.Empty(await ErrorsAsync(call.Sid));
        }
        finally
        {
            await HangUpAsync(call.Sid);
        }
    }

    [Fact]
    public async Task A_twiml_answer_over_64_kib_is_not_run_and_ends_the_call_with_11750()
    {
        var id = Guid.NewGuid().ToString("N");
        var path = $"/too-large/{id}";
        emulator.Webhooks.Serve(path, Padded(Wait, WebhookClient.MaxBodyBytes + 1));

        var call = await CreateAsync(RedirectTests.UniqueNumber(), url: path, statusCallback: $"/status/{id}");

        await CompletedAsync($"/status/{id}");
        Assert.Equal([11750], await ErrorsAsync(call.Sid));
    }

    [Fact]
    public async Task A_call_that_only_redirects_ends_once_it_passes_the_redirect_limit_with_14106()
    {
        var id = Guid.NewGuid().ToString("N");
        var path = $"/loop/{id}";
        emulator.Webhooks.Serve(path, $"<Response><Redirect>{emulator.Webhooks.Url(path)}</Redirect></Response>");

        var call = await CreateAsync(RedirectTests.UniqueNumber(), url: path, statusCallback: $"/status/{id}");

        await CompletedAsync($"/status/{id}");
        // The first fetch, then one per redirect followed.
        Assert.Equal(1 + BoundsFixture.RedirectLimit, emulator.Webhooks.Received(path).Count);
        Assert.Equal([14106], await ErrorsAsync(call.Sid));
    }

    [Fact]
    public async Task Redirects_with_another_verb_between_them_are_not_a_loop()
    {
        var path = $"/paced-loop/{Guid.NewGuid():N}";
        emulator.Webhooks.Serve(path, $"<Response><Pause length=\"1\"/><Redirect>{emulator.Webhooks.Url(path)}</Redirect></Response>");

        var call = await CreateAsync(RedirectTests.UniqueNumber(), url: path);
        try
        {
            await emulator.Webhooks.WaitForAsync(path, received => received.Count > 2 * BoundsFixture.RedirectLimit);

            Assert.Equal(CallResource.StatusEnum.InProgress, (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status);
            Assert.Empty(await ErrorsAsync(call.Sid));
        }
        finally
        {
            await HangUpAsync(call.Sid);
        }
    }

    [Fact]
    public async Task Wait_music_that_only_redirects_stops_at_the_redirect_limit_with_14106()
    {
        var id = Guid.NewGuid().ToString("N");
        var path = $"/wait-loop/{id}";
        var wait = emulator.Webhooks.Serve(path, $"<Response><Redirect>{emulator.Webhooks.Url(path)}</Redirect></Response>");
        var participant = await ParticipantResource.CreateAsync($"wait-loop-{id}", new PhoneNumber(EmulatorFixture.SupportNumber),
            new PhoneNumber(RedirectTests.UniqueNumber()), waitUrl: new Uri(wait), client: emulator.Twilio);
        try
        {
            await Poll.UntilAsync(async () => (await ErrorsAsync(participant.CallSid)).Count > 0, "the wait music's loop to be stopped");

            Assert.Equal([14106], await ErrorsAsync(participant.CallSid));
            Assert.Equal(1 + BoundsFixture.RedirectLimit, emulator.Webhooks.Received(path).Count);
            var state = await emulator.ConferenceStateAsync($"wait-loop-{id}");
            Assert.Equal("silence", state.GetProperty("participants")[0].GetProperty("audio").GetString());
        }
        finally
        {
            await HangUpAsync(participant.CallSid);
        }
    }

    /// <summary><paramref name="twiml"/> with a comment making it exactly <paramref name="bytes"/> bytes long.</summary>
    private static string Padded(string twiml, int bytes)
    {
        const string Open = "<!--", Close = "-->";
        var insertAt = twiml.LastIndexOf("</Response>", StringComparison.Ordinal);
        var padding = new string('x', bytes - twiml.Length - Open.Length - Close.Length);
        return string.Concat(twiml.AsSpan(0, insertAt), Open + padding + Close, twiml.AsSpan(insertAt));
    }

    private async Task<CallResource> CreateAsync(string to, string? twiml = null, string? url = null, string? statusCallback = null) =>
        await CallResource.CreateAsync(new PhoneNumber(to), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: twiml is null ? null : new Twilio.Types.Twiml(twiml),
            url: url is null ? null : new Uri(emulator.Webhooks.Url(url)),
            statusCallback: statusCallback is null ? null : new Uri(emulator.Webhooks.Url(statusCallback)),
            client: emulator.Twilio);

    /// <summary>Waits for the call's completed status callback: what the call did is over, and it is still kept.</summary>
    private async Task CompletedAsync(string statusPath) =>
        await emulator.Webhooks.WaitForAsync(statusPath, received => received.Any(r => r["CallStatus"] == "completed"));

    /// <summary>Whether the request fails as Twilio answers an unknown SID: 404, code 20404.</summary>
    private static async Task<bool> IsUnknownAsync(Func<Task> request)
    {
        try
        {
            await request();
            return false;
        }
        catch (ApiException error) when (error.Status == 404)
        {
            Assert.Equal(20404, error.Code);
            return true;
        }
    }

    private async Task<List<int>> ErrorsAsync(string callSid) =>
        [.. (await emulator.EventsAsync())
            .Where(e => e.GetProperty("callSid").GetString() == callSid && e.GetProperty("errorCode").ValueKind == JsonValueKind.Number)
            .Select(e => e.GetProperty("errorCode").GetInt32())];

    private async Task HangUpAsync(string callSid) =>
        await emulator.Admin.PostAsync($"/admin/calls/{callSid}/hangup", null);
}
