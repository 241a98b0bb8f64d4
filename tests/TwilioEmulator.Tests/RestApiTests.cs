using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Rest.Api.V2010.Account.Conference;
using Twilio.Types;

namespace WarmTransfer.TwilioEmulator.Tests;

[Collection(EmulatorCollection.Name)]
public sealed class RestApiTests(EmulatorFixture emulator)
{
    private const string HangUp = "<Response><Say>Hello</Say><Hangup/></Response>";

    [Fact]
    public async Task A_call_created_through_the_sdk_is_fetched_with_its_status_and_ends_completed()
    {
        var call = await CallResource.CreateAsync(new PhoneNumber("+15557654321"), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml(HangUp), client: emulator.Twilio);

        Assert.Matches("^CA[0-9a-f]{32}$", call.Sid);
        Assert.Equal(CallResource.StatusEnum.Queued, call.Status);
        Assert.Equal("outbound-api", call.Direction);
        Assert.Equal(EmulatorFixture.AccountSid, call.AccountSid);

        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the call to complete");
        var ended = await CallResource.FetchAsync(call.Sid, client: emulator.Twilio);
        Assert.NotNull(ended.StartTime);
        Assert.NotNull(ended.EndTime);
        Assert.Equal("0", ended.Duration);
    }

    [Fact]
    public async Task An_api_key_authenticates_like_the_auth_token()
    {
        var client = emulator.CreateClient(EmulatorFixture.ApiKeySid, EmulatorFixture.ApiKeySecret);

        var page = await ConferenceResource.ReadAsync(friendlyName: "no-such-conference", client: client);

        Assert.Empty(page);
    }

    [Fact]
    public async Task Wrong_credentials_are_refused_with_20003()
    {
        var client = emulator.CreateClient(EmulatorFixture.AccountSid, "not-the-token");

        var error = await Assert.ThrowsAsync<ApiException>(() => CallResource.FetchAsync("CA00000000000000000000000000000000", client: client));

        Assert.Equal(20003, error.Code);
        Assert.Equal(401, error.Status);
    }

    [Fact]
    public async Task An_unknown_call_is_404_with_20404_in_twilios_error_shape()
    {
        var error = await Assert.ThrowsAsync<ApiException>(() =>
            CallResource.FetchAsync("CA00000000000000000000000000000000", client: emulator.Twilio));
        Assert.Equal(20404, error.Code);
        Assert.Equal(404, error.Status);
        Assert.Equal("https://www.twilio.com/docs/errors/20404", error.MoreInfo);
    }

    [Theory]
    [InlineData("5551234")]
    [InlineData("client:")]
    [InlineData("+0123")]
    public async Task An_invalid_to_is_400_with_21211(string to)
    {
        var error = await Assert.ThrowsAsync<ApiException>(() => CallResource.CreateAsync(
            new PhoneNumber(to), new PhoneNumber(EmulatorFixture.SupportNumber), twiml: new Twilio.Types.Twiml(HangUp),
            client: emulator.Twilio));

        Assert.Equal(21211, error.Code);
        Assert.Equal(400, error.Status);
    }

    [Fact]
    public async Task A_from_number_the_account_does_not_own_is_refused_with_21210()
    {
        var error = await Assert.ThrowsAsync<ApiException>(() => CallResource.CreateAsync(
            new PhoneNumber("+15557654321"), new PhoneNumber("+15550000000"), twiml: new Twilio.Types.Twiml(HangUp),
            client: emulator.Twilio));

        Assert.Equal(21210, error.Code);
    }

    [Fact]
    public async Task Error_bodies_have_code_message_more_info_and_status()
    {
        using var http = new HttpClient { BaseAddress = new Uri(emulator.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{EmulatorFixture.AccountSid}:{EmulatorFixture.AuthToken}")));

        using var response = await http.GetAsync($"/2010-04-01/Accounts/{EmulatorFixture.AccountSid}/Conferences/CF00000000000000000000000000000000.json");
        var body = await response.Content.ReadFromJsonAsync<Dictionary<string, object>>();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(["code", "message", "more_info", "status"], body!.Keys.Order());
    }

    [Fact]
    public async Task Injected_429_faults_reach_the_sdk_as_20429_until_cleared()
    {
        using var set = await emulator.Admin.PutAsJsonAsync("/admin/faults",
            new { endpoint = "GET Conferences.json", tooManyRequestsRate = 1.0 });
        Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        try
        {
            var error = await Assert.ThrowsAsync<ApiException>(() => ConferenceResource.ReadAsync(client: emulator.Twilio));
            Assert.Equal(20429, error.Code);
            Assert.Equal(429, error.Status);
        }
        finally
        {
            await emulator.Admin.DeleteAsync("/admin/faults");
        }

        Assert.NotNull(await ConferenceResource.ReadAsync(client: emulator.Twilio));
    }

    [Fact]
    public async Task A_call_to_a_number_that_never_answers_ends_no_answer_after_its_timeout()
    {
        const string target = "+15550001001";
        await emulator.Admin.PutAsJsonAsync($"/admin/answer-rules/{Uri.EscapeDataString(target)}", new { action = "never" });
        var call = await CallResource.CreateAsync(new PhoneNumber(target), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml(HangUp), timeout: 1, client: emulator.Twilio);

        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.NoAnswer,
            "no-answer");
    }

    [Theory]
    [InlineData("reject", "busy")]
    [InlineData("busy", "busy")]
    [InlineData("fail", "failed")]
    public async Task A_declining_target_ends_the_call_as_on_twilio(string action, string status)
    {
        var target = $"client:decline-{action}-{Guid.NewGuid():N}"[..40];
        await emulator.Admin.PutAsJsonAsync($"/admin/answer-rules/{Uri.EscapeDataString(target)}", new { action });
        var call = await CallResource.CreateAsync(new Client(target[7..]), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml(HangUp), client: emulator.Twilio);

        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status.ToString() == status, status);
    }

    [Fact]
    public async Task A_ringing_call_is_canceled_through_the_api()
    {
        var target = $"client:ringing-{Guid.NewGuid():N}"[..30];
        await emulator.Admin.PutAsJsonAsync($"/admin/answer-rules/{Uri.EscapeDataString(target)}", new { action = "never" });
        var call = await CallResource.CreateAsync(new Client(target[7..]), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml(HangUp), client: emulator.Twilio);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Ringing,
            "ringing");

        var canceled = await CallResource.UpdateAsync(call.Sid, status: CallResource.UpdateStatusEnum.Canceled, client: emulator.Twilio);

        Assert.Equal(CallResource.StatusEnum.Canceled, canceled.Status);
    }

    [Fact]
    public async Task Call_status_callbacks_arrive_signed_in_order_for_the_requested_events()
    {
        var path = $"/status/{Guid.NewGuid():N}";
        var call = await CallResource.CreateAsync(new PhoneNumber("+15557654321"), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml(HangUp), statusCallback: new Uri(emulator.Webhooks.Url(path)),
            statusCallbackEvent: ["initiated", "ringing", "answered", "completed"], client: emulator.Twilio);

        var callbacks = await emulator.Webhooks.WaitForAsync(path, received => received.Count == 4);

        // Twilio reports CallStatus=initiated in the initiated callback, though the call resource says queued then.
        Assert.Equal(["initiated", "ringing", "in-progress", "completed"], callbacks.Select(c => c["CallStatus"]));
        Assert.Equal(["0", "1", "2", "3"], callbacks.Select(c => c["SequenceNumber"]));
        Assert.All(callbacks, c =>
        {
            Assert.Equal(call.Sid, c["CallSid"]);
            Assert.Equal("call-progress-events", c["CallbackSource"]);
            Assert.True(DateTimeOffset.TryParse(c["Timestamp"], out _));
            Assert.True(new Twilio.Security.RequestValidator(EmulatorFixture.AuthToken).Validate(c.Url, c.Parameters.ToDictionary(), c.Signature));
        });
        Assert.Equal("0", callbacks[^1]["CallDuration"]);
    }

    [Fact]
    public async Task A_webhook_is_logged_with_the_time_it_was_sent_not_the_time_its_slow_answer_came()
    {
        var path = $"/slow-status/{Guid.NewGuid():N}";
        var answered = DateTimeOffset.MinValue;
        emulator.Webhooks.Serve(path, async _ =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            answered = DateTimeOffset.UtcNow;
            return string.Empty;
        });
        var call = await CallResource.CreateAsync(new PhoneNumber("+15557654321"), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml(HangUp), statusCallback: new Uri(emulator.Webhooks.Url(path)),
            statusCallbackEvent: ["initiated"], client: emulator.Twilio);

        await Poll.UntilAsync(async () => (await emulator.EventsAsync()).Any(e => e.GetProperty("url").GetString()?.EndsWith(path, StringComparison.Ordinal) == true),
            "the status callback in the event log");
        var logged = (await emulator.EventsAsync()).Single(e => e.GetProperty("url").GetString()?.EndsWith(path, StringComparison.Ordinal) == true);

        Assert.Equal(call.Sid, logged.GetProperty("callSid").GetString());
        Assert.True(answered - logged.GetProperty("timestamp").GetDateTimeOffset() >= TimeSpan.FromMilliseconds(450),
            $"logged at {logged.GetProperty("timestamp").GetDateTimeOffset():O}, answered at {answered:O}");
    }

    [Fact]
    public async Task Conferences_are_listed_by_friendly_name_and_status_in_the_v2010_page_shape()
    {
        var name = $"list-{Guid.NewGuid():N}";
        emulator.Voice = _ => $"<Response><Dial><Conference>{name}</Conference></Dial></Response>";
        using var placed = await emulator.Admin.PostAsJsonAsync("/admin/calls", new { from = "+15557654321" });
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);

        await Poll.UntilAsync(async () => (await ConferenceResource.ReadAsync(friendlyName: name, client: emulator.Twilio)).Any(), "the conference");
        var init = (await ConferenceResource.ReadAsync(friendlyName: name, status: ConferenceResource.StatusEnum.Init, client: emulator.Twilio)).Single();
        Assert.Empty(await ConferenceResource.ReadAsync(friendlyName: name, status: ConferenceResource.StatusEnum.InProgress, client: emulator.Twilio));
        Assert.Matches("^CF[0-9a-f]{32}$", init.Sid);

        var ended = await ConferenceResource.UpdateAsync(init.Sid, status: ConferenceResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
        Assert.Equal(ConferenceResource.StatusEnum.Completed, ended.Status);
        Assert.Equal(ConferenceResource.ReasonConferenceEndedEnum.ConferenceEndedViaApi, ended.ReasonConferenceEnded);
    }

    [Fact]
    public async Task An_unreachable_voice_url_or_invalid_twiml_is_logged_and_ends_the_call()
    {
        emulator.Voice = _ => "<Response><Say>unclosed";
        using var placed = await emulator.Admin.PostAsJsonAsync("/admin/calls", new { from = "+15557654322" });
        var sid = (await placed.Content.ReadFromJsonAsync<Dictionary<string, string>>())!["sid"];

        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the call to end");
        var events = await emulator.EventsAsync();
        Assert.Contains(events, e => e.GetProperty("callSid").GetString() == sid && e.GetProperty("errorCode").ValueKind == System.Text.Json.JsonValueKind.Number
            && e.GetProperty("errorCode").GetInt32() == 12100);

        var redirected = await CallResource.CreateAsync(new PhoneNumber("+15557654323"), new PhoneNumber(EmulatorFixture.SupportNumber),
            url: new Uri("http://127.0.0.1:1/unreachable"), client: emulator.Twilio);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(redirected.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the call with an unreachable URL to end");
        events = await emulator.EventsAsync();
        Assert.Contains(events, e => e.GetProperty("callSid").GetString() == redirected.Sid
            && e.GetProperty("errorCode").ValueKind == System.Text.Json.JsonValueKind.Number && e.GetProperty("errorCode").GetInt32() == 11200);
    }

    [Fact]
    public async Task Updating_a_live_call_with_new_twiml_or_url_replaces_what_it_was_doing_and_the_webhook_is_signed()
    {
        var path = $"/redirected/{Guid.NewGuid():N}";
        var redirectUrl = emulator.Webhooks.Serve(path, "<Response><Pause length=\"600\"/></Response>");
        var call = await CallResource.CreateAsync(new PhoneNumber("+15557654324"), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml("<Response><Play loop=\"0\">https://example.com/music.mp3</Play></Response>"), client: emulator.Twilio);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.InProgress,
            "the call to be answered");

        await CallResource.UpdateAsync(call.Sid, url: new Uri(redirectUrl), client: emulator.Twilio);

        var request = (await emulator.Webhooks.WaitForAsync(path, received => received.Count == 1))[0];
        Assert.Equal(call.Sid, request["CallSid"]);
        Assert.Equal("outbound-api", request["Direction"]);
        Assert.Equal("in-progress", request["CallStatus"]);
        Assert.Equal("2010-04-01", request["ApiVersion"]);
        Assert.True(new Twilio.Security.RequestValidator(EmulatorFixture.AuthToken).Validate(request.Url, request.Parameters.ToDictionary(), request.Signature));

        await CallResource.UpdateAsync(call.Sid, twiml: new Twilio.Types.Twiml("<Response><Hangup/></Response>"), client: emulator.Twilio);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the inline TwiML to hang up");
    }

    [Fact]
    public async Task A_participant_added_by_friendly_name_creates_the_conference_and_is_found_by_label()
    {
        var name = $"by-name-{Guid.NewGuid():N}";
        var participant = await ParticipantResource.CreateAsync(name, new PhoneNumber(EmulatorFixture.SupportNumber), new PhoneNumber("+15557654325"),
            label: "caller", startConferenceOnEnter: false, client: emulator.Twilio);

        Assert.Matches("^CF[0-9a-f]{32}$", participant.ConferenceSid);
        var byLabel = await ParticipantResource.FetchAsync(participant.ConferenceSid, "caller", client: emulator.Twilio);
        Assert.Equal(participant.CallSid, byLabel.CallSid);
        Assert.False(byLabel.StartConferenceOnEnter);
        await Poll.UntilAsync(async () => (await ParticipantResource.FetchAsync(participant.ConferenceSid, participant.CallSid, client: emulator.Twilio)).Status
            == ParticipantResource.StatusEnum.Connected, "the participant to connect");
        var conference = await ConferenceResource.FetchAsync(participant.ConferenceSid, client: emulator.Twilio);
        Assert.Equal(name, conference.FriendlyName);
        await ConferenceResource.UpdateAsync(conference.Sid, status: ConferenceResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(participant.CallSid, client: emulator.Twilio)).Status
            == CallResource.StatusEnum.Completed, "the participant's call to end with the conference");
    }
}
