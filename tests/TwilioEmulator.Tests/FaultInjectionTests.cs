using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Rest.Api.V2010.Account.Conference;
using Twilio.Types;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>Fault rules: errors before acting, and requests carried out whose answer fails or comes too late.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class FaultInjectionTests(EmulatorFixture emulator) : IAsyncLifetime
{
    private const string Wait = "<Response><Pause length=\"600\"/></Response>";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await emulator.Admin.DeleteAsync("/admin/faults");

    [Fact]
    public async Task A_call_created_then_answered_500_exists_and_its_rest_event_shows_the_answer_it_would_have_given()
    {
        await SetFaultAsync(new { endpoint = "POST Calls.json", actedThenErrorRate = 1.0 });
        var to = RedirectTests.UniqueNumber();

        var error = await Assert.ThrowsAsync<ApiException>(() => CallResource.CreateAsync(new PhoneNumber(to),
            new PhoneNumber(EmulatorFixture.SupportNumber), twiml: new Twiml(Wait), client: emulator.Twilio));

        Assert.Equal((500, 20500), (error.Status, error.Code));
        var call = Assert.Single(await CallResource.ReadAsync(to: new PhoneNumber(to), client: emulator.Twilio));
        var logged = await RestEventAsync("POST Calls.json", to);
        Assert.Equal("acted-then-500", logged.GetProperty("fault").GetString());
        Assert.Equal(500, logged.GetProperty("statusCode").GetInt32());
        Assert.Equal(call.Sid, JsonNode.Parse(logged.GetProperty("response").GetString()!)!["sid"]!.GetValue<string>());
        await HangUpAsync(call.Sid);
    }

    [Fact]
    public async Task A_client_that_gives_up_on_a_slow_answer_finds_the_call_it_created_in_the_call_list()
    {
        await SetFaultAsync(new { endpoint = "POST Calls.json", actedThenSlowRate = 1.0, slowMilliseconds = 30_000 });
        var to = RedirectTests.UniqueNumber();
        using var impatient = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => emulator.Rest.PostAsync($"{EmulatorFixture.AccountPath}/Calls.json",
            new FormUrlEncodedContent([new("To", to), new("From", EmulatorFixture.SupportNumber), new("Twiml", Wait)]), impatient.Token));

        var call = Assert.Single(await CallResource.ReadAsync(to: new PhoneNumber(to), client: emulator.Twilio));
        var logged = await RestEventAsync("POST Calls.json", to);
        Assert.Equal("acted-then-slow", logged.GetProperty("fault").GetString());
        Assert.Equal(JsonValueKind.Null, logged.GetProperty("statusCode").ValueKind);
        Assert.Equal(call.Sid, JsonNode.Parse(logged.GetProperty("response").GetString()!)!["sid"]!.GetValue<string>());
        await HangUpAsync(call.Sid);
    }

    [Fact]
    public async Task A_client_that_waits_out_a_slow_answer_gets_it()
    {
        await SetFaultAsync(new { endpoint = "POST Calls.json", actedThenSlowRate = 1.0, slowMilliseconds = 300 });
        var to = RedirectTests.UniqueNumber();
        var clock = Stopwatch.StartNew();

        var call = await CallResource.CreateAsync(new PhoneNumber(to), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twiml(Wait), client: emulator.Twilio);

        // Timers keep whole milliseconds and may fire a little early: the answer was held back, not to the microsecond.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"answered after {clock.Elapsed}");
        var logged = await RestEventAsync("POST Calls.json", to);
        Assert.Equal("acted-then-slow", logged.GetProperty("fault").GetString());
        Assert.Equal(201, logged.GetProperty("statusCode").GetInt32());
        await HangUpAsync(call.Sid);
    }

    [Fact]
    public async Task A_slow_answer_held_back_goes_as_soon_as_the_rules_are_cleared()
    {
        await SetFaultAsync(new { endpoint = "POST Calls.json", actedThenSlowRate = 1.0, slowMilliseconds = 600_000 });
        var to = RedirectTests.UniqueNumber();
        var creating = CallResource.CreateAsync(new PhoneNumber(to), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twiml(Wait), client: emulator.Twilio);
        var made = new List<CallResource>();
        await Poll.UntilAsync(async () =>
        {
            made = [.. await CallResource.ReadAsync(to: new PhoneNumber(to), client: emulator.Twilio)];
            return made.Count > 0;
        }, "the call created while its answer is held back");
        Assert.False(creating.IsCompleted);

        (await emulator.Admin.DeleteAsync("/admin/faults")).EnsureSuccessStatusCode();

        var call = await creating.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Assert.Single(made).Sid, call.Sid);
        Assert.Equal(201, (await RestEventAsync("POST Calls.json", to)).GetProperty("statusCode").GetInt32());
        await HangUpAsync(call.Sid);
    }

    [Fact]
    public async Task A_participant_update_answered_500_was_carried_out()
    {
        var name = $"acted-hold-{Guid.NewGuid():N}";
        var participant = await ParticipantResource.CreateAsync(name, new PhoneNumber(EmulatorFixture.SupportNumber),
            new PhoneNumber(RedirectTests.UniqueNumber()), label: "customer", client: emulator.Twilio);
        await Poll.UntilAsync(async () => (await ParticipantResource.FetchAsync(participant.ConferenceSid, "customer", client: emulator.Twilio)).Status
            == ParticipantResource.StatusEnum.Connected, "the participant to connect");
        await SetFaultAsync(new { endpoint = "POST Conferences/{ConferenceSid}/Participants/{CallSid}.json", actedThenErrorRate = 1.0 });

        var error = await Assert.ThrowsAsync<ApiException>(() =>
            ParticipantResource.UpdateAsync(participant.ConferenceSid, "customer", hold: true, client: emulator.Twilio));

        Assert.Equal(500, error.Status);
        Assert.True((await ParticipantResource.FetchAsync(participant.ConferenceSid, "customer", client: emulator.Twilio)).Hold);
        await ConferenceResource.UpdateAsync(participant.ConferenceSid, status: ConferenceResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
    }

    [Theory]
    [InlineData("errorRate", 500, 20500, "500")]
    [InlineData("tooManyRequestsRate", 429, 20429, "429")]
    public async Task A_fault_before_acting_creates_no_call_and_its_rest_event_names_it(string rate, int status, int code, string fault)
    {
        await SetFaultAsync(new Dictionary<string, object> { ["endpoint"] = "POST Calls.json", [rate] = 1.0 });
        var to = RedirectTests.UniqueNumber();

        var error = await Assert.ThrowsAsync<ApiException>(() => CallResource.CreateAsync(new PhoneNumber(to),
            new PhoneNumber(EmulatorFixture.SupportNumber), twiml: new Twiml(Wait), client: emulator.Twilio));

        Assert.Equal((status, code), (error.Status, error.Code));
        Assert.Empty(await CallResource.ReadAsync(to: new PhoneNumber(to), client: emulator.Twilio));
        var logged = await RestEventAsync("POST Calls.json", to);
        Assert.Equal(fault, logged.GetProperty("fault").GetString());
        Assert.Equal(status, logged.GetProperty("statusCode").GetInt32());
    }

    [Fact]
    public async Task A_request_without_a_fault_has_no_fault_in_its_rest_event()
    {
        var to = RedirectTests.UniqueNumber();
        var call = await CallResource.CreateAsync(new PhoneNumber(to), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twiml(Wait), client: emulator.Twilio);

        var logged = await RestEventAsync("POST Calls.json", to);

        Assert.Equal(JsonValueKind.Null, logged.GetProperty("fault").ValueKind);
        await HangUpAsync(call.Sid);
    }

    [Fact]
    public async Task A_rule_is_listed_with_every_rate_it_was_given()
    {
        await SetFaultAsync(new { endpoint = "POST Calls.json", latencyMilliseconds = 10, actedThenErrorRate = 0.25, actedThenSlowRate = 0.5,
            slowMilliseconds = 20_000 });

        var rules = await emulator.Admin.GetFromJsonAsync<JsonElement[]>("/admin/faults");

        var rule = Assert.Single(rules!);
        Assert.Equal(
            """{"endpoint":"POST Calls.json","latencyMilliseconds":10,"errorRate":0,"tooManyRequestsRate":0,"actedThenErrorRate":0.25,"actedThenSlowRate":0.5,"slowMilliseconds":20000}""",
            rule.GetRawText());
    }

    [Theory]
    [InlineData("""{"endpoint":"POST Calls.json","errorRate":0.5,"actedThenErrorRate":0.6}""")]
    [InlineData("""{"endpoint":"POST Calls.json","actedThenSlowRate":1.5,"slowMilliseconds":100}""")]
    [InlineData("""{"endpoint":"POST Calls.json","actedThenSlowRate":0.5}""")]
    [InlineData("""{"endpoint":"POST Calls.json","actedThenSlowRate":0.5,"slowMilliseconds":-1}""")]
    [InlineData("""{"endpoint":"","actedThenErrorRate":0.5}""")]
    public async Task An_invalid_rule_is_a_400_problem_and_is_not_set(string rule)
    {
        using var response = await emulator.Admin.PutAsync("/admin/faults", new StringContent(rule, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty((await emulator.Admin.GetFromJsonAsync<JsonElement[]>("/admin/faults"))!);
    }

    private async Task SetFaultAsync(object rule)
    {
        using var response = await emulator.Admin.PutAsJsonAsync("/admin/faults", rule);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    /// <summary>The REST request to the endpoint for this To, once it is logged.</summary>
    private async Task<JsonElement> RestEventAsync(string endpoint, string to)
    {
        JsonElement? found = null;
        await Poll.UntilAsync(async () =>
        {
            found = (await emulator.EventsAsync()).LastOrDefault(e => e.GetProperty("kind").GetString() == "rest"
                && e.GetProperty("message").GetString() == endpoint
                && e.GetProperty("parameters").TryGetProperty("To", out var logged) && logged.GetString() == to);
            return found?.ValueKind == JsonValueKind.Object;
        }, $"the {endpoint} request to {to} in the event log");
        return found!.Value;
    }

    private async Task HangUpAsync(string callSid) =>
        await CallResource.UpdateAsync(callSid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
}
