using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>&lt;Gather&gt; of keys pressed through the admin API, as Twilio runs it.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class GatherTests(EmulatorFixture emulator)
{
    private const string Wait = "<Response><Pause length=\"600\"/></Response>";

    [Fact]
    public async Task A_key_stops_the_prompts_and_numDigits_keys_are_sent_to_the_action_and_the_call_goes_on_with_its_answer()
    {
        var id = Guid.NewGuid().ToString("N");
        var pressed = emulator.Webhooks.Serve($"/pressed/{id}", Wait);
        var call = await CallAsync($"""
            <Response>
              <Gather numDigits="1" action="{pressed}"><Say>Press 1 to be called back.</Say><Pause length="600"/></Gather>
              <Say>Not reached.</Say>
            </Response>
            """);
        try
        {
            await PressWhenGatheringAsync(call.Sid, "1");

            var submitted = (await emulator.Webhooks.WaitForAsync($"/pressed/{id}", received => received.Count == 1))[0];
            Assert.Equal(("1", "", call.Sid, "in-progress"), (submitted["Digits"], submitted["FinishedOnKey"], submitted["CallSid"], submitted["CallStatus"]));
            Assert.DoesNotContain(await SaidAsync(call.Sid), text => text == "Not reached.");
        }
        finally
        {
            await HangUpAsync(call.Sid);
        }
    }

    [Fact]
    public async Task Keys_up_to_finishOnKey_are_sent_without_it_to_the_documents_own_url_when_there_is_no_action()
    {
        var id = Guid.NewGuid().ToString("N");
        var path = $"/menu/{id}";
        emulator.Webhooks.Serve(path, request => request["Digits"] is { Length: > 0 } ? Wait : """<Response><Gather timeout="30"/></Response>""");
        var call = await CreateAsync(url: emulator.Webhooks.Url(path));
        try
        {
            await PressWhenGatheringAsync(call.Sid, "12#");

            var submitted = (await emulator.Webhooks.WaitForAsync(path, received => received.Count == 2))[1];
            Assert.Equal(("12", "#"), (submitted["Digits"], submitted["FinishedOnKey"]));
        }
        finally
        {
            await HangUpAsync(call.Sid);
        }
    }

    [Fact]
    public async Task With_no_key_before_the_timeout_the_next_verb_runs_and_nothing_is_sent()
    {
        var id = Guid.NewGuid().ToString("N");
        var pressed = emulator.Webhooks.Serve($"/pressed/{id}", Wait);
        var after = emulator.Webhooks.Serve($"/after/{id}", Wait);
        var call = await CallAsync($"""<Response><Gather timeout="1" action="{pressed}"/><Redirect>{after}</Redirect></Response>""");
        try
        {
            await emulator.Webhooks.WaitForAsync($"/after/{id}", received => received.Count == 1);

            Assert.Empty(emulator.Webhooks.Received($"/pressed/{id}"));
        }
        finally
        {
            await HangUpAsync(call.Sid);
        }
    }

    [Fact]
    public async Task Keys_for_a_call_not_gathering_an_unknown_call_or_keys_that_are_no_keys_are_refused_with_a_problem()
    {
        var call = await CallAsync(Wait);
        try
        {
            await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.InProgress,
                "the call to be answered");

            Assert.Equal(HttpStatusCode.Conflict, await PressAsync(call.Sid, "1"));
            Assert.Equal(HttpStatusCode.NotFound, await PressAsync("CA" + new string('0', 32), "1"));
            Assert.Equal(HttpStatusCode.BadRequest, await PressAsync(call.Sid, "1a"));
            Assert.Equal(HttpStatusCode.BadRequest, await PressAsync(call.Sid, ""));
        }
        finally
        {
            await HangUpAsync(call.Sid);
        }
    }

    [Fact]
    public async Task A_gather_nesting_a_verb_it_may_not_ends_the_call_with_12200_without_listening()
    {
        var id = Guid.NewGuid().ToString("N");
        var after = emulator.Webhooks.Serve($"/after/{id}", Wait);
        var call = await CallAsync($"""<Response><Gather><Say>Press 1.</Say><Redirect>{after}</Redirect></Gather></Response>""");

        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the call to end");
        Assert.Contains(await emulator.EventsAsync(), e => e.GetProperty("callSid").GetString() == call.Sid
            && e.GetProperty("errorCode").ValueKind == JsonValueKind.Number && e.GetProperty("errorCode").GetInt32() == 12200);
        Assert.Empty(await SaidAsync(call.Sid));
        Assert.Empty(emulator.Webhooks.Received($"/after/{id}"));
    }

    /// <summary>Presses the keys once the call's Gather listens (until then, the admin API answers 409).</summary>
    private async Task PressWhenGatheringAsync(string callSid, string digits) =>
        await Poll.UntilAsync(async () => await PressAsync(callSid, digits) == HttpStatusCode.NoContent, "the call to gather digits");

    private async Task<HttpStatusCode> PressAsync(string callSid, string digits)
    {
        using var response = await emulator.Admin.PostAsJsonAsync($"/admin/calls/{callSid}/digits", new { digits });
        return response.StatusCode;
    }

    private Task<CallResource> CallAsync(string twiml) => CreateAsync(twiml: twiml);

    private async Task<CallResource> CreateAsync(string? twiml = null, string? url = null) =>
        await CallResource.CreateAsync(new PhoneNumber(RedirectTests.UniqueNumber()), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: twiml is null ? null : new Twiml(twiml), url: url is null ? null : new Uri(url), client: emulator.Twilio);

    private async Task<List<string>> SaidAsync(string callSid) =>
        [.. (await emulator.EventsAsync()).Where(e => e.GetProperty("kind").GetString() == "say" && e.GetProperty("callSid").GetString() == callSid)
            .Select(e => e.GetProperty("message").GetString()!)];

    private async Task HangUpAsync(string callSid) =>
        await emulator.Admin.PostAsync($"/admin/calls/{callSid}/hangup", null);
}
