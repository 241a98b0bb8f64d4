using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Rest.Api.V2010.Account.Conference;
using Twilio.Types;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>REST updates with new Url or Twiml: whatever the call is doing when they come, they take effect.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class RedirectTests(EmulatorFixture emulator)
{
    private const string HangUp = "<Response><Hangup/></Response>";
    private const string Wait = "<Response><Pause length=\"600\"/></Response>";

    [Fact]
    public async Task A_redirect_while_the_first_document_is_still_being_fetched_interrupts_the_fetch()
    {
        var id = Guid.NewGuid().ToString("N");
        var gate = Gate();
        var slow = emulator.Webhooks.Serve($"/slow/{id}", _ => gate.Task);
        var after = emulator.Webhooks.Serve($"/after/{id}", Wait);
        var call = await CallResource.CreateAsync(new PhoneNumber(UniqueNumber()), new PhoneNumber(EmulatorFixture.SupportNumber),
            url: new Uri(slow), client: emulator.Twilio);
        try
        {
            await emulator.Webhooks.WaitForAsync($"/slow/{id}", received => received.Count == 1);

            await CallResource.UpdateAsync(call.Sid, url: new Uri(after), client: emulator.Twilio);

            var redirected = (await emulator.Webhooks.WaitForAsync($"/after/{id}", received => received.Count == 1))[0];
            Assert.Equal(call.Sid, redirected["CallSid"]);
            Assert.Equal("in-progress", redirected["CallStatus"]);
        }
        finally
        {
            gate.TrySetResult(HangUp);
            await HangUpAsync(call.Sid);
        }
    }

    [Fact]
    public async Task A_redirect_while_a_redirect_verbs_document_is_being_fetched_takes_effect()
    {
        var id = Guid.NewGuid().ToString("N");
        var gate = Gate();
        var slow = emulator.Webhooks.Serve($"/slow/{id}", _ => gate.Task);
        var after = emulator.Webhooks.Serve($"/after/{id}", Wait);
        var call = await CallResource.CreateAsync(new PhoneNumber(UniqueNumber()), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twiml($"<Response><Redirect>{slow}</Redirect></Response>"), client: emulator.Twilio);
        try
        {
            await emulator.Webhooks.WaitForAsync($"/slow/{id}", received => received.Count == 1);

            await CallResource.UpdateAsync(call.Sid, url: new Uri(after), client: emulator.Twilio);

            await emulator.Webhooks.WaitForAsync($"/after/{id}", received => received.Count == 1);
        }
        finally
        {
            gate.TrySetResult(HangUp);
            await HangUpAsync(call.Sid);
        }
    }

    [Fact]
    public async Task An_inbound_call_still_fetching_its_voice_url_takes_a_redirect()
    {
        var id = Guid.NewGuid().ToString("N");
        var from = UniqueNumber();
        var gate = Gate();
        var after = emulator.Webhooks.Serve($"/after/{id}", Wait);
        emulator.VoiceAsync = request => request["From"] == from ? gate.Task : Task.FromResult(HangUp);
        using var placed = await emulator.Admin.PostAsJsonAsync("/admin/calls", new { from });
        var sid = (await placed.Content.ReadFromJsonAsync<Dictionary<string, string>>())!["sid"];
        try
        {
            await emulator.Webhooks.WaitForAsync(EmulatorFixture.VoicePath, received => received.Any(r => r["CallSid"] == sid));
            Assert.Equal(CallResource.StatusEnum.Ringing, (await CallResource.FetchAsync(sid, client: emulator.Twilio)).Status);

            await CallResource.UpdateAsync(sid, url: new Uri(after), client: emulator.Twilio);

            var redirected = (await emulator.Webhooks.WaitForAsync($"/after/{id}", received => received.Count == 1))[0];
            Assert.Equal(sid, redirected["CallSid"]);
            Assert.Equal("inbound", redirected["Direction"]);
        }
        finally
        {
            gate.TrySetResult(HangUp);
            await HangUpAsync(sid);
        }
    }

    [Fact]
    public async Task Redirecting_a_participants_api_leg_takes_it_out_of_the_conference_and_runs_the_new_twiml()
    {
        var id = Guid.NewGuid().ToString("N");
        var events = $"/conference-events/{id}";
        var after = emulator.Webhooks.Serve($"/after/{id}", Wait);
        var participant = await ParticipantResource.CreateAsync($"api-leg-{id}", new PhoneNumber(EmulatorFixture.SupportNumber),
            new PhoneNumber(UniqueNumber()), label: "agent", conferenceStatusCallback: new Uri(emulator.Webhooks.Url(events)),
            conferenceStatusCallbackEvent: ["join", "leave"], client: emulator.Twilio);
        try
        {
            await Poll.UntilAsync(async () => (await ParticipantResource.FetchAsync(participant.ConferenceSid, participant.CallSid, client: emulator.Twilio))
                .Status == ParticipantResource.StatusEnum.Connected, "the leg to connect");

            await CallResource.UpdateAsync(participant.CallSid, url: new Uri(after), client: emulator.Twilio);

            var redirected = (await emulator.Webhooks.WaitForAsync($"/after/{id}", received => received.Count == 1))[0];
            Assert.Equal("in-progress", redirected["CallStatus"]);
            var callbacks = await emulator.Webhooks.WaitForAsync(events, received => received.Any(r => r["StatusCallbackEvent"] == "participant-leave"));
            var left = callbacks.Single(c => c["StatusCallbackEvent"] == "participant-leave");
            Assert.Equal("participant_updated_via_api", left["ReasonParticipantLeft"]);
            Assert.Equal(participant.CallSid, left["CallSid"]);
            Assert.Equal(CallResource.StatusEnum.InProgress, (await CallResource.FetchAsync(participant.CallSid, client: emulator.Twilio)).Status);
        }
        finally
        {
            await HangUpAsync(participant.CallSid);
        }
    }

    [Fact]
    public async Task Redirecting_a_ringing_participants_api_leg_runs_the_new_twiml_on_answer_instead_of_joining()
    {
        var id = Guid.NewGuid().ToString("N");
        var identity = $"agent-{id}"[..20];
        var after = emulator.Webhooks.Serve($"/after/{id}", Wait);
        using var device = await DeviceTests.ConnectAsync(emulator);
        await DeviceTests.RegisterAsync(device, DeviceTests.Token(identity));
        var participant = await ParticipantResource.CreateAsync($"ringing-leg-{id}", new PhoneNumber(EmulatorFixture.SupportNumber),
            new Client(identity), client: emulator.Twilio);
        try
        {
            Assert.Equal("incoming", (await DeviceTests.ReceiveAsync(device))["type"]!.GetValue<string>());

            await CallResource.UpdateAsync(participant.CallSid, url: new Uri(after), client: emulator.Twilio);

            // It will not join: it is no longer listed in the conference.
            var error = await Assert.ThrowsAsync<ApiException>(() =>
                ParticipantResource.FetchAsync(participant.ConferenceSid, participant.CallSid, client: emulator.Twilio));
            Assert.Equal(404, error.Status);
            await DeviceTests.SendAsync(device, new JsonObject { ["type"] = "accept", ["callSid"] = participant.CallSid });
            var answered = (await emulator.Webhooks.WaitForAsync($"/after/{id}", received => received.Count == 1))[0];
            Assert.Equal(participant.CallSid, answered["CallSid"]);
            Assert.Equal("in-progress", answered["CallStatus"]);
        }
        finally
        {
            await HangUpAsync(participant.CallSid);
        }
    }

    [Fact]
    public async Task When_a_call_is_created_with_both_url_and_twiml_the_url_wins()
    {
        var path = $"/url-wins/{Guid.NewGuid():N}";
        var url = emulator.Webhooks.Serve(path, HangUp);

        var call = await CallResource.CreateAsync(new PhoneNumber(UniqueNumber()), new PhoneNumber(EmulatorFixture.SupportNumber),
            url: new Uri(url), twiml: new Twiml(Wait), client: emulator.Twilio);

        Assert.Equal(call.Sid, (await emulator.Webhooks.WaitForAsync(path, received => received.Count == 1))[0]["CallSid"]);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the Url's TwiML to hang up");
        Assert.Contains(await emulator.EventsAsync(), e => e.GetProperty("callSid").GetString() == call.Sid
            && e.GetProperty("errorCode").ValueKind == System.Text.Json.JsonValueKind.Number && e.GetProperty("errorCode").GetInt32() == 32019);
    }

    [Fact]
    public async Task An_update_with_both_url_and_twiml_is_refused()
    {
        var call = await LiveCallAsync();
        try
        {
            var error = await Assert.ThrowsAsync<ApiException>(() => CallResource.UpdateAsync(call, url: new Uri("https://example.com/next"),
                twiml: new Twiml(HangUp), client: emulator.Twilio));

            Assert.Equal(400, error.Status);
            Assert.Equal(21205, error.Code);
        }
        finally
        {
            await HangUpAsync(call);
        }
    }

    [Fact]
    public async Task An_update_with_a_status_applies_it_and_ignores_the_twiml()
    {
        var call = await LiveCallAsync();

        var updated = await CallResource.UpdateAsync(call, status: CallResource.UpdateStatusEnum.Completed,
            twiml: new Twiml("<Response><Say>ignored</Say></Response>"), client: emulator.Twilio);

        Assert.Equal(CallResource.StatusEnum.Completed, updated.Status);
    }

    [Fact]
    public async Task An_update_is_validated_whole_before_anything_happens()
    {
        var call = await LiveCallAsync();
        try
        {
            var (status, body) = await emulator.PostFormAsync($"Calls/{call}.json", ("Status", "completed"), ("Url", "ftp://example.com/next"));

            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal(21205, body!["code"]!.GetValue<int>());
            Assert.Equal(CallResource.StatusEnum.InProgress, (await CallResource.FetchAsync(call, client: emulator.Twilio)).Status);
        }
        finally
        {
            await HangUpAsync(call);
        }
    }

    private static TaskCompletionSource<string> Gate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A number no answer rule of another test applies to: it answers at once.</summary>
    internal static string UniqueNumber() => $"+1555{Random.Shared.Next(2_000_000, 9_999_999)}";

    private async Task<string> LiveCallAsync()
    {
        var call = await CallResource.CreateAsync(new PhoneNumber(UniqueNumber()), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twiml(Wait), client: emulator.Twilio);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.InProgress,
            "the call to be answered");
        return call.Sid;
    }

    private async Task HangUpAsync(string callSid) =>
        await emulator.Admin.PostAsync($"/admin/calls/{callSid}/hangup", null);
}
