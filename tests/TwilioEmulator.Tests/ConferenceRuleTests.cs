using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Rest.Api.V2010.Account.Conference;
using Twilio.Types;
using WarmTransfer.TwilioEmulator.Model;
using WarmTransfer.TwilioEmulator.Voice;
using Twiml = Twilio.Types.Twiml;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>Conference details: wait music, legs that never connect, and changes racing the conference's end.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class ConferenceRuleTests(EmulatorFixture emulator)
{
    private const string Music = "<Response><Play loop=\"0\">https://example.com/music.mp3</Play></Response>";

    [Fact]
    public async Task An_empty_wait_url_is_silence_not_the_documents_own_url()
    {
        var id = Guid.NewGuid().ToString("N");
        var name = $"silent-{id}";
        var path = $"/empty-wait/{id}";
        // Fetched as a wait URL (with a ConferenceSid) it would play music forever.
        var url = emulator.Webhooks.Serve(path, request => request["ConferenceSid"].Length > 0
            ? Music
            : $"<Response><Dial><Conference waitUrl=\"\" participantLabel=\"customer\">{name}</Conference></Dial></Response>");
        var call = await CallResource.CreateAsync(new PhoneNumber(RedirectTests.UniqueNumber()), new PhoneNumber(EmulatorFixture.SupportNumber),
            url: new Uri(url), client: emulator.Twilio);

        await Poll.UntilAsync(async () => await AudioAsync(call.Sid) is not null, "the customer to join");

        Assert.Equal("silence", await AudioAsync(call.Sid));
        Assert.All(emulator.Webhooks.Received(path), request => Assert.Empty(request["ConferenceSid"]));
        await HangUpAsync(call.Sid);
    }

    [Theory]
    [InlineData("busy", "busy")]
    [InlineData("fail", "failed")]
    [InlineData("never", "no-answer")]
    public async Task A_participants_api_leg_that_never_connected_leaves_with_its_calls_final_status(string action, string status)
    {
        var (customer, events, conferenceSid) = await CustomerInConferenceAsync();
        var target = RedirectTests.UniqueNumber();
        await emulator.Admin.PutAsJsonAsync($"/admin/answer-rules/{Uri.EscapeDataString(target)}", new { action });

        var leg = await ParticipantResource.CreateAsync(conferenceSid, new PhoneNumber(EmulatorFixture.SupportNumber), new PhoneNumber(target),
            label: "agent", timeout: 5, client: emulator.Twilio);

        var leave = await AgentLeaveAsync(events);
        Assert.Equal(leg.CallSid, leave["CallSid"]);
        Assert.Equal(status, leave["ParticipantCallStatus"]);
        Assert.Equal("participant_add_failed", leave["ReasonParticipantLeft"]);
        Assert.Equal(status, (await CallResource.FetchAsync(leg.CallSid, client: emulator.Twilio)).Status.ToString());
        await HangUpAsync(customer);
        await emulator.Admin.DeleteAsync($"/admin/answer-rules/{Uri.EscapeDataString(target)}");
    }

    [Theory]
    [InlineData("call canceled")]
    [InlineData("participant removed")]
    [InlineData("conference ended")]
    public async Task A_participants_api_leg_stopped_while_ringing_leaves_canceled(string how)
    {
        var (customer, events, conferenceSid) = await CustomerInConferenceAsync();
        var target = RedirectTests.UniqueNumber();
        await emulator.Admin.PutAsJsonAsync($"/admin/answer-rules/{Uri.EscapeDataString(target)}", new { action = "never" });
        var leg = await ParticipantResource.CreateAsync(conferenceSid, new PhoneNumber(EmulatorFixture.SupportNumber), new PhoneNumber(target),
            label: "agent", client: emulator.Twilio);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(leg.CallSid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Ringing,
            "the leg to ring");

        switch (how)
        {
            case "call canceled":
                await CallResource.UpdateAsync(leg.CallSid, status: CallResource.UpdateStatusEnum.Canceled, client: emulator.Twilio);
                break;
            case "participant removed":
                await ParticipantResource.DeleteAsync(conferenceSid, "agent", client: emulator.Twilio);
                break;
            default:
                await ConferenceResource.UpdateAsync(conferenceSid, status: ConferenceResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
                break;
        }

        var leave = await AgentLeaveAsync(events);
        Assert.Equal("canceled", leave["ParticipantCallStatus"]);
        Assert.Equal("participant_add_failed", leave["ReasonParticipantLeft"]);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(leg.CallSid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Canceled,
            "the leg's call to end canceled");
        await HangUpAsync(customer);
        await emulator.Admin.DeleteAsync($"/admin/answer-rules/{Uri.EscapeDataString(target)}");
    }

    [Fact]
    public async Task A_participants_api_leg_given_new_twiml_before_it_answered_tells_the_conference_nothing()
    {
        var (customer, events, conferenceSid) = await CustomerInConferenceAsync();
        var target = RedirectTests.UniqueNumber();
        // Long enough that the redirect surely comes first, however busy the machine.
        await emulator.Admin.PutAsJsonAsync($"/admin/answer-rules/{Uri.EscapeDataString(target)}", new { action = "answer", afterMilliseconds = 3000 });
        var leg = await ParticipantResource.CreateAsync(conferenceSid, new PhoneNumber(EmulatorFixture.SupportNumber), new PhoneNumber(target),
            label: "agent", client: emulator.Twilio);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(leg.CallSid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Ringing,
            "the leg to ring");

        await CallResource.UpdateAsync(leg.CallSid, twiml: new Twiml("<Response><Hangup/></Response>"), client: emulator.Twilio);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(leg.CallSid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the redirected leg to run its TwiML and end");
        await HangUpAsync(customer);

        // One conference's callbacks go out in order: a leave for the agent would come before the conference's end.
        var callbacks = await emulator.Webhooks.WaitForAsync(events, received => received.Any(r => r["StatusCallbackEvent"] == "conference-end"));
        Assert.Equal(["participant-join customer", "participant-leave customer", "conference-end"],
            callbacks.Select(c => $"{c["StatusCallbackEvent"]} {c["ParticipantLabel"]}".Trim()));
        await emulator.Admin.DeleteAsync($"/admin/answer-rules/{Uri.EscapeDataString(target)}");
    }

    [Fact]
    public async Task A_conference_nobody_ever_connected_to_ends_with_only_the_failed_legs_leave()
    {
        var id = Guid.NewGuid().ToString("N");
        var (events, progress) = ($"/conference-events/{id}", $"/call-progress/{id}");
        var busy = RedirectTests.UniqueNumber();
        await emulator.Admin.PutAsJsonAsync($"/admin/answer-rules/{Uri.EscapeDataString(busy)}", new { action = "busy" });

        var leg = await ParticipantResource.CreateAsync($"nobody-{id}", new PhoneNumber(EmulatorFixture.SupportNumber), new PhoneNumber(busy),
            statusCallback: new Uri(emulator.Webhooks.Url(progress)),
            conferenceStatusCallback: new Uri(emulator.Webhooks.Url(events)),
            conferenceStatusCallbackEvent: ["start", "end", "join", "leave"], client: emulator.Twilio);

        await Poll.UntilAsync(async () => (await ConferenceResource.FetchAsync(leg.ConferenceSid, client: emulator.Twilio)).Status
            == ConferenceResource.StatusEnum.Completed, "the conference to end");
        // The leg's completed callback was raised after anything the conference raised; once the emulator logged its
        // answer, every conference callback would have been sent too.
        await emulator.Webhooks.WaitForAsync(progress, received => received.Count == 1);
        await Poll.UntilAsync(async () => (await emulator.EventsAsync()).Count(e => e.GetProperty("kind").GetString() is "status-callback"
            or "conference-callback" && e.GetProperty("callSid").GetString() == leg.CallSid) == 2, "the completed callback and the leave to be logged");
        var leave = Assert.Single(emulator.Webhooks.Received(events));
        Assert.Equal(("participant-leave", "busy", "participant_add_failed"),
            (leave["StatusCallbackEvent"], leave["ParticipantCallStatus"], leave["ReasonParticipantLeft"]));
        await emulator.Admin.DeleteAsync($"/admin/answer-rules/{Uri.EscapeDataString(busy)}");
    }

    [Fact]
    public async Task A_participant_whose_conference_ended_can_no_longer_be_updated_removed_or_added_to_it()
    {
        var name = $"ended-{Guid.NewGuid():N}";
        var call = await CallResource.CreateAsync(new PhoneNumber(RedirectTests.UniqueNumber()), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twiml($"<Response><Dial><Conference participantLabel=\"customer\">{name}</Conference></Dial></Response>"), client: emulator.Twilio);
        await Poll.UntilAsync(async () => await AudioAsync(call.Sid) is not null, "the customer to join");
        var state = emulator.Services.GetRequiredService<EmulatorState>();
        var engine = emulator.Services.GetRequiredService<ConferenceEngine>();
        Participant participant;
        lock (state.Sync)
        {
            participant = state.Calls[call.Sid].Participant!;
        }

        // The participant was looked up before the conference ended, as a REST request racing its end would.
        await ConferenceResource.UpdateAsync(participant.Conference.Sid, status: ConferenceResource.UpdateStatusEnum.Completed, client: emulator.Twilio);

        Assert.False(engine.Update(participant, hold: true, holdUrl: null, holdMethod: null, muted: true, endConferenceOnExit: null));
        Assert.False(participant.Hold);
        Assert.False(participant.Muted);
        Assert.False(engine.Leave(participant, "participant_kicked", kicked: true));
        Assert.Null(engine.AddPending(participant.Conference, state.Calls[call.Sid], new ConferenceJoin(name), out var labelTaken));
        Assert.False(labelTaken);
    }

    [Fact]
    public async Task A_wait_url_that_answers_with_audio_plays_it_in_a_loop()
    {
        var id = Guid.NewGuid().ToString("N");
        var audio = emulator.Webhooks.ServeAudio($"/music/{id}.mp3");
        var call = await CallResource.CreateAsync(new PhoneNumber(RedirectTests.UniqueNumber()), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twiml($"<Response><Dial><Conference waitUrl=\"{audio}\" participantLabel=\"customer\">audio-{id}</Conference></Dial></Response>"),
            client: emulator.Twilio);

        await Poll.UntilAsync(async () => (await emulator.EventsAsync()).Any(e => e.GetProperty("kind").GetString() == "wait-url"
            && e.GetProperty("callSid").GetString() == call.Sid), "the wait URL to be fetched");

        Assert.Equal("wait-music", await AudioAsync(call.Sid));
        Assert.DoesNotContain(await emulator.EventsAsync(), e => e.GetProperty("callSid").GetString() == call.Sid
            && e.GetProperty("errorCode").ValueKind == JsonValueKind.Number);
        await HangUpAsync(call.Sid);
    }

    [Fact]
    public async Task A_redirect_in_wait_twiml_is_relative_to_the_document_it_is_in()
    {
        var id = Guid.NewGuid().ToString("N");
        var first = emulator.Webhooks.Serve($"/media/{id}/first", "<Response><Redirect>sub/second</Redirect></Response>");
        emulator.Webhooks.Serve($"/media/{id}/sub/second", "<Response><Redirect>third</Redirect></Response>");
        emulator.Webhooks.Serve($"/media/{id}/sub/third", Music);
        var call = await CallResource.CreateAsync(new PhoneNumber(RedirectTests.UniqueNumber()), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twiml($"<Response><Dial><Conference waitUrl=\"{first}\" participantLabel=\"customer\">relative-{id}</Conference></Dial></Response>"),
            client: emulator.Twilio);

        var third = (await emulator.Webhooks.WaitForAsync($"/media/{id}/sub/third", received => received.Count == 1))[0];

        Assert.Equal(call.Sid, third["CallSid"]);
        await HangUpAsync(call.Sid);
    }

    /// <summary>A customer in a new conference whose callbacks (join, leave, end) go to the returned path.</summary>
    private async Task<(string CallSid, string Events, string ConferenceSid)> CustomerInConferenceAsync()
    {
        var id = Guid.NewGuid().ToString("N");
        var events = $"/conference-events/{id}";
        var customer = await CallResource.CreateAsync(new PhoneNumber(RedirectTests.UniqueNumber()), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twiml($"<Response><Dial><Conference participantLabel=\"customer\" statusCallback=\"{emulator.Webhooks.Url(events)}\" " +
                $"statusCallbackEvent=\"join leave end\">leg-{id}</Conference></Dial></Response>"), client: emulator.Twilio);
        var joined = await emulator.Webhooks.WaitForAsync(events, received => received.Any(r => r["StatusCallbackEvent"] == "participant-join"));
        return (customer.Sid, events, joined[0]["ConferenceSid"]);
    }

    private async Task<ReceivedWebhook> AgentLeaveAsync(string events) =>
        (await emulator.Webhooks.WaitForAsync(events, received => received.Any(IsAgentLeave))).Single(IsAgentLeave);

    private static bool IsAgentLeave(ReceivedWebhook callback) =>
        callback["StatusCallbackEvent"] == "participant-leave" && callback["ParticipantLabel"] == "agent";

    private async Task<string?> AudioAsync(string callSid) =>
        (await emulator.StateAsync()).GetProperty("conferences").EnumerateArray()
            .SelectMany(conference => conference.GetProperty("participants").EnumerateArray())
            .Where(participant => participant.GetProperty("callSid").GetString() == callSid)
            .Select(participant => participant.GetProperty("audio").GetString())
            .FirstOrDefault();

    private async Task HangUpAsync(string callSid) =>
        await emulator.Admin.PostAsync($"/admin/calls/{callSid}/hangup", null);
}
