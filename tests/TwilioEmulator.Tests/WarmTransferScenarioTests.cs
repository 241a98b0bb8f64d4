using System.Net.Http.Json;
using System.Text.Json;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Rest.Api.V2010.Account.Conference;
using Twilio.Security;
using Twilio.Types;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>The warm transfer, scripted against a test webhook server, the way the services will drive it.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class WarmTransferScenarioTests(EmulatorFixture emulator)
{
    [Fact]
    public async Task Customer_waits_first_agent_joins_second_agent_joins_first_leaves_customer_hangs_up()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var (agent1, agent2) = ($"agent1-{id}", $"agent2-{id}");
        var events = $"/conference-events/{id}";
        var hold = emulator.Webhooks.Serve($"/hold/{id}", "<Response><Say>Thanks for calling.</Say><Play loop=\"0\">https://example.com/hold.mp3</Play></Response>");
        var agentJoin = emulator.Webhooks.Serve($"/agent-join/{id}", request =>
            $"<Response><Dial><Conference startConferenceOnEnter=\"true\" endConferenceOnExit=\"false\" participantLabel=\"agent1\">{ConferenceName(request)}</Conference></Dial></Response>");
        await emulator.Admin.PutAsJsonAsync($"/admin/answer-rules/client:{agent1}", new { action = "answer", afterMilliseconds = 50 });
        await emulator.Admin.PutAsJsonAsync($"/admin/answer-rules/client:{agent2}", new { action = "answer", afterMilliseconds = 50 });

        // 1. The customer calls; the voice webhook puts them in a conference named after their CallSid.
        emulator.Voice = request =>
            $"<Response><Dial><Conference startConferenceOnEnter=\"false\" endConferenceOnExit=\"true\" waitUrl=\"{hold}\" waitMethod=\"POST\" " +
            $"statusCallback=\"{emulator.Webhooks.Url(events)}\" statusCallbackEvent=\"start end join leave hold\" participantLabel=\"customer\">" +
            $"{request["CallSid"]}</Conference></Dial></Response>";
        using var placed = await emulator.Admin.PostAsJsonAsync("/admin/calls", new { from = "+15557650000" });
        var customer = (await placed.Content.ReadFromJsonAsync<Dictionary<string, string>>())!["sid"];

        // 2. They wait: the wait URL is fetched and its music plays.
        await emulator.Webhooks.WaitForAsync($"/hold/{id}", received => received.Any(r => r["CallSid"] == customer));
        await Poll.UntilAsync(async () => await AudioAsync(customer, "customer") == "wait-music", "wait music");
        var conference = (await ConferenceResource.ReadAsync(friendlyName: customer, client: emulator.Twilio)).Single();
        Assert.Equal(ConferenceResource.StatusEnum.Init, conference.Status);

        // 3. The first agent is dialed; on answer the agent-join TwiML puts them in; the conference starts.
        var first = await CallResource.CreateAsync(new Client(agent1), new PhoneNumber(EmulatorFixture.SupportNumber),
            url: new Uri($"{agentJoin}?conference={customer}"), client: emulator.Twilio);
        await Poll.UntilAsync(async () => (await ConferenceResource.FetchAsync(conference.Sid, client: emulator.Twilio)).Status
            == ConferenceResource.StatusEnum.InProgress, "the conference to start");
        Assert.Equal("conference", await AudioAsync(customer, "customer"));
        Assert.Equal("conference", await AudioAsync(first.Sid, "agent1"));

        // 4. The second agent is added through the Participants API, ending the conference when they leave.
        var second = await ParticipantResource.CreateAsync(conference.Sid, new PhoneNumber(EmulatorFixture.SupportNumber), new Client(agent2),
            label: "agent2", startConferenceOnEnter: true, endConferenceOnExit: true, client: emulator.Twilio);
        await Poll.UntilAsync(async () => (await ParticipantResource.FetchAsync(conference.Sid, "agent2", client: emulator.Twilio)).Status
            == ParticipantResource.StatusEnum.Connected, "the second agent to connect");
        Assert.Equal($"client:{agent2}", (await CallResource.FetchAsync(second.CallSid, client: emulator.Twilio)).To);

        // While they consult, the customer is on hold, then taken off it.
        await ParticipantResource.UpdateAsync(conference.Sid, "customer", hold: true, holdUrl: new Uri(hold), client: emulator.Twilio);
        await Poll.UntilAsync(async () => await AudioAsync(customer, "customer") == "hold-music", "hold music");
        await ParticipantResource.UpdateAsync(conference.Sid, "customer", hold: false, client: emulator.Twilio);

        // 5. The first agent leaves; customer and second agent stay.
        await CallResource.UpdateAsync(first.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
        var participants = await ParticipantResource.ReadAsync(conference.Sid, client: emulator.Twilio);
        Assert.Equal([customer, second.CallSid], participants.Select(p => p.CallSid));
        Assert.Equal(ConferenceResource.StatusEnum.InProgress, (await ConferenceResource.FetchAsync(conference.Sid, client: emulator.Twilio)).Status);

        // 6. The customer hangs up: their endConferenceOnExit ends the conference and the second agent's call.
        await emulator.Admin.PostAsync($"/admin/calls/{customer}/hangup", null);
        var callbacks = await emulator.Webhooks.WaitForAsync(events, received => received.Any(r => r["StatusCallbackEvent"] == "conference-end"));

        Assert.Equal(
        [
            "participant-join customer", "participant-join agent1", "conference-start", "participant-join agent2",
            "participant-hold customer", "participant-unhold customer", "participant-leave agent1",
            "participant-leave customer", "participant-leave agent2", "conference-end",
        ],
            callbacks.Select(c => $"{c["StatusCallbackEvent"]} {c["ParticipantLabel"]}".Trim()));
        Assert.Equal(Enumerable.Range(1, callbacks.Count).Select(n => n.ToString()), callbacks.Select(c => c["SequenceNumber"]));
        Assert.All(callbacks, c =>
        {
            Assert.Equal(conference.Sid, c["ConferenceSid"]);
            Assert.Equal(customer, c["FriendlyName"]);
            Assert.True(new RequestValidator(EmulatorFixture.AuthToken).Validate(c.Url, c.Parameters.ToDictionary(), c.Signature));
        });
        var end = callbacks[^1];
        Assert.Equal("participant-with-end-conference-on-exit-left", end["ReasonConferenceEnded"]);
        Assert.Equal(customer, end["CallSidEndingConference"]);
        Assert.Equal("participant_hung_up", callbacks.Single(c => c["StatusCallbackEvent"] == "participant-leave" && c["ParticipantLabel"] == "agent1")["ReasonParticipantLeft"]);

        var ended = await ConferenceResource.FetchAsync(conference.Sid, client: emulator.Twilio);
        Assert.Equal(ConferenceResource.StatusEnum.Completed, ended.Status);
        Assert.Equal(ConferenceResource.ReasonConferenceEndedEnum.ParticipantWithEndConferenceOnExitLeft, ended.ReasonConferenceEnded);
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(second.CallSid, client: emulator.Twilio)).Status
            == CallResource.StatusEnum.Completed, "the second agent's call to end");
    }

    [Fact]
    public async Task A_change_of_end_conference_on_exit_is_ignored_while_the_participant_is_on_hold()
    {
        var name = $"held-{Guid.NewGuid():N}";
        var hold = emulator.Webhooks.Serve($"/hold/{name}", "<Response><Play loop=\"0\">https://example.com/hold.mp3</Play></Response>");
        emulator.Voice = _ => $"<Response><Dial><Conference participantLabel=\"customer\" endConferenceOnExit=\"true\">{name}</Conference></Dial></Response>";
        await emulator.Admin.PostAsJsonAsync("/admin/calls", new { from = "+15557650001" });
        await Poll.UntilAsync(async () => (await ConferenceResource.ReadAsync(friendlyName: name, client: emulator.Twilio)).Any(), "the conference");
        var conference = (await ConferenceResource.ReadAsync(friendlyName: name, client: emulator.Twilio)).Single();

        await ParticipantResource.UpdateAsync(conference.Sid, "customer", hold: true, holdUrl: new Uri(hold), client: emulator.Twilio);
        var updated = await ParticipantResource.UpdateAsync(conference.Sid, "customer", endConferenceOnExit: false, client: emulator.Twilio);

        Assert.True(updated.Hold);
        Assert.True(updated.EndConferenceOnExit);
        var holdRequest = (await emulator.Webhooks.WaitForAsync($"/hold/{name}", received => received.Count > 0))[0];
        Assert.Equal("GET", holdRequest.Method);
        await ConferenceResource.UpdateAsync(conference.Sid, status: ConferenceResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
    }

    [Fact]
    public async Task A_wait_url_with_a_verb_other_than_say_play_pause_redirect_is_error_13238_and_leaves_silence()
    {
        var name = $"bad-wait-{Guid.NewGuid():N}";
        var wait = emulator.Webhooks.Serve($"/wait/{name}", "<Response><Dial>+15550000000</Dial></Response>");
        emulator.Voice = _ => $"<Response><Dial><Conference waitUrl=\"{wait}\" participantLabel=\"customer\">{name}</Conference></Dial></Response>";
        using var placed = await emulator.Admin.PostAsJsonAsync("/admin/calls", new { from = "+15557650002" });
        var sid = (await placed.Content.ReadFromJsonAsync<Dictionary<string, string>>())!["sid"];

        await Poll.UntilAsync(async () => await AudioAsync(sid, "customer") == "silence", "silence after the refused wait TwiML");
        Assert.Contains(await emulator.EventsAsync(), e => e.GetProperty("callSid").GetString() == sid
            && e.GetProperty("errorCode").ValueKind == JsonValueKind.Number && e.GetProperty("errorCode").GetInt32() == 13238);
        await emulator.Admin.PostAsync($"/admin/calls/{sid}/hangup", null);
    }

    [Fact]
    public async Task A_participant_removed_through_the_api_leaves_and_the_last_one_out_ends_the_conference()
    {
        var name = $"kick-{Guid.NewGuid():N}";
        emulator.Voice = _ => $"<Response><Dial><Conference participantLabel=\"customer\">{name}</Conference></Dial><Say>Goodbye</Say></Response>";
        using var placed = await emulator.Admin.PostAsJsonAsync("/admin/calls", new { from = "+15557650003" });
        var sid = (await placed.Content.ReadFromJsonAsync<Dictionary<string, string>>())!["sid"];
        await Poll.UntilAsync(async () => (await ConferenceResource.ReadAsync(friendlyName: name, client: emulator.Twilio)).Any(), "the conference");
        var conference = (await ConferenceResource.ReadAsync(friendlyName: name, client: emulator.Twilio)).Single();

        Assert.True(await ParticipantResource.DeleteAsync(conference.Sid, "customer", client: emulator.Twilio));

        var ended = await ConferenceResource.FetchAsync(conference.Sid, client: emulator.Twilio);
        Assert.Equal(ConferenceResource.StatusEnum.Completed, ended.Status);
        Assert.Equal(ConferenceResource.ReasonConferenceEndedEnum.LastParticipantKicked, ended.ReasonConferenceEnded);
        // The call goes on with the verbs after <Dial>, then hangs up.
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the customer's call to finish its TwiML");
    }

    private static string ConferenceName(ReceivedWebhook request) =>
        new Uri(request.Url).Query.TrimStart('?').Split('&').Single(p => p.StartsWith("conference=", StringComparison.Ordinal))["conference=".Length..];

    private async Task<string?> AudioAsync(string callSid, string label)
    {
        foreach (var conference in (await emulator.StateAsync()).GetProperty("conferences").EnumerateArray())
        {
            foreach (var participant in conference.GetProperty("participants").EnumerateArray())
            {
                if (participant.GetProperty("callSid").GetString() == callSid && participant.GetProperty("label").GetString() == label)
                {
                    return participant.GetProperty("audio").GetString();
                }
            }
        }

        return null;
    }
}
