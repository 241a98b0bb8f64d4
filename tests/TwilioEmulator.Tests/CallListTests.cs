using System.Net;
using System.Net.Http.Json;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>GET Calls.json: how a client finds the calls it created, through the SDK and in Twilio's page shape.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class CallListTests(EmulatorFixture emulator)
{
    private const string Wait = "<Response><Pause length=\"600\"/></Response>";

    [Fact]
    public async Task Calls_to_a_number_are_listed_newest_first_across_pages_through_the_sdk()
    {
        var to = RedirectTests.UniqueNumber();
        var created = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            created.Add((await CreateAsync(to, Wait)).Sid);
        }

        var listed = await CallResource.ReadAsync(to: new PhoneNumber(to), pageSize: 2, client: emulator.Twilio);

        Assert.Equal(Enumerable.Reverse(created), listed.Select(call => call.Sid));
        Assert.All(listed, call => Assert.Equal(to, call.To.ToString()));
        await HangUpAsync(created);
    }

    [Fact]
    public async Task Calls_are_filtered_by_status_and_from()
    {
        var to = RedirectTests.UniqueNumber();
        var live = await CreateAsync(to, Wait);
        var ended = await CreateAsync(to, "<Response><Hangup/></Response>");
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(ended.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the second call to end");
        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(live.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.InProgress,
            "the first call to be answered");

        var completed = await CallResource.ReadAsync(to: new PhoneNumber(to), status: CallResource.StatusEnum.Completed, client: emulator.Twilio);
        var inProgress = await CallResource.ReadAsync(to: new PhoneNumber(to), from: new PhoneNumber(EmulatorFixture.SupportNumber),
            status: CallResource.StatusEnum.InProgress, client: emulator.Twilio);
        var fromSomeoneElse = await CallResource.ReadAsync(to: new PhoneNumber(to), from: new PhoneNumber("+15550000001"), client: emulator.Twilio);

        Assert.Equal(ended.Sid, Assert.Single(completed).Sid);
        Assert.Equal(live.Sid, Assert.Single(inProgress).Sid);
        Assert.Empty(fromSomeoneElse);
        await HangUpAsync([live.Sid]);
    }

    [Fact]
    public async Task An_inbound_call_is_found_by_the_number_it_came_from()
    {
        var from = RedirectTests.UniqueNumber();
        emulator.Voice = _ => Wait;
        using var placed = await emulator.Admin.PostAsJsonAsync("/admin/calls", new { from });
        var sid = (await placed.Content.ReadFromJsonAsync<Dictionary<string, string>>())!["sid"];

        var call = Assert.Single(await CallResource.ReadAsync(from: new PhoneNumber(from), client: emulator.Twilio));

        Assert.Equal(sid, call.Sid);
        Assert.Equal("inbound", call.Direction);
        Assert.Equal(EmulatorFixture.SupportNumber, call.To.ToString());
        await HangUpAsync([sid]);
    }

    [Fact]
    public async Task A_page_names_its_calls_and_links_the_next_page_with_the_filters()
    {
        var to = RedirectTests.UniqueNumber();
        var first = await CreateAsync(to, Wait);
        var second = await CreateAsync(to, Wait);

        using var response = await emulator.Rest.GetAsync($"{EmulatorFixture.AccountPath}/Calls.json?To={Uri.EscapeDataString(to)}&PageSize=1");
        var page = await EmulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(second.Sid, Assert.Single(page!["calls"]!.AsArray())!["sid"]!.GetValue<string>());
        Assert.Equal($"{EmulatorFixture.AccountPath}/Calls.json?To={Uri.EscapeDataString(to)}&PageSize=1&Page=1",
            page["next_page_uri"]!.GetValue<string>());
        Assert.Equal((0, 1, 0, 0), (page["page"]!.GetValue<int>(), page["page_size"]!.GetValue<int>(), page["start"]!.GetValue<int>(),
            page["end"]!.GetValue<int>()));
        Assert.Null(page["previous_page_uri"]);
        await HangUpAsync([first.Sid, second.Sid]);
    }

    private Task<CallResource> CreateAsync(string to, string twiml) =>
        CallResource.CreateAsync(new PhoneNumber(to), new PhoneNumber(EmulatorFixture.SupportNumber), twiml: new Twiml(twiml), client: emulator.Twilio);

    private async Task HangUpAsync(IEnumerable<string> sids)
    {
        foreach (var sid in sids)
        {
            await CallResource.UpdateAsync(sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
        }
    }
}
