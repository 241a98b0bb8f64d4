using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Rest.Api.V2010.Account.Conference;
using Twilio.Types;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>What the REST API accepts and refuses, and the shape of its answers, as on Twilio.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class RestValidationTests(EmulatorFixture emulator)
{
    private const string HangUp = "<Response><Hangup/></Response>";

    [Fact]
    public async Task A_body_that_is_not_a_readable_form_is_400_in_twilios_error_shape()
    {
        using var content = new StringContent("To=%2B15551234567", Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data");

        using var response = await emulator.Rest.PostAsync($"{EmulatorFixture.AccountPath}/Calls.json", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await EmulatorFixture.ReadJsonAsync(response);
        Assert.Equal(400, body!["status"]!.GetValue<int>());
        Assert.Equal(["code", "message", "more_info", "status"], body.Select(pair => pair.Key).Order());
    }

    [Fact]
    public async Task Twiml_longer_than_4000_characters_is_refused_on_create_and_update()
    {
        var tooLong = $"<Response><Say>{new string('a', 4000)}</Say></Response>";

        var created = await Assert.ThrowsAsync<ApiException>(() => CallResource.CreateAsync(new PhoneNumber(RedirectTests.UniqueNumber()),
            new PhoneNumber(EmulatorFixture.SupportNumber), twiml: new Twiml(tooLong), client: emulator.Twilio));
        var call = await CallResource.CreateAsync(new PhoneNumber(RedirectTests.UniqueNumber()), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twiml("<Response><Pause length=\"600\"/></Response>"), client: emulator.Twilio);
        var updated = await Assert.ThrowsAsync<ApiException>(() => CallResource.UpdateAsync(call.Sid, twiml: new Twiml(tooLong), client: emulator.Twilio));

        Assert.Equal((400, 32018), (created.Status, created.Code));
        Assert.Equal((400, 32018), (updated.Status, updated.Code));
        await CallResource.UpdateAsync(call.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
    }

    [Fact]
    public async Task A_missing_from_is_21213()
    {
        var (status, body) = await emulator.PostFormAsync("Calls.json", ("To", "+15557654321"), ("Twiml", HangUp));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(21213, body!["code"]!.GetValue<int>());
        Assert.Equal("Caller phone number is required", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_client_from_with_a_phone_number_to_is_21212()
    {
        var error = await Assert.ThrowsAsync<ApiException>(() => CallResource.CreateAsync(new PhoneNumber(RedirectTests.UniqueNumber()),
            new Client("agent1"), twiml: new Twiml(HangUp), client: emulator.Twilio));

        Assert.Equal((400, 21212), (error.Status, error.Code));
    }

    [Fact]
    public async Task An_invalid_status_callback_is_21205()
    {
        var (status, body) = await emulator.PostFormAsync("Calls.json", ("To", RedirectTests.UniqueNumber()),
            ("From", EmulatorFixture.SupportNumber), ("Twiml", HangUp), ("StatusCallback", "not a url"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(21205, body!["code"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("Timeout", "0")]
    [InlineData("Timeout", "100000")]
    [InlineData("Method", "PUT")]
    [InlineData("StatusCallbackMethod", "get")]
    public async Task Out_of_range_timeouts_and_other_methods_are_taken_as_twilio_takes_them(string key, string value)
    {
        var (status, body) = await emulator.PostFormAsync("Calls.json", ("To", RedirectTests.UniqueNumber()),
            ("From", EmulatorFixture.SupportNumber), ("Twiml", HangUp), (key, value));

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("queued", body!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_participant_timeout_below_twilios_minimum_is_taken()
    {
        var participant = await ParticipantResource.CreateAsync($"timeout-{Guid.NewGuid():N}", new PhoneNumber(EmulatorFixture.SupportNumber),
            new PhoneNumber(RedirectTests.UniqueNumber()), timeout: 0, client: emulator.Twilio);

        Assert.Equal(ParticipantResource.StatusEnum.Queued, participant.Status);
        await ConferenceResource.UpdateAsync(participant.ConferenceSid, status: ConferenceResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
    }

    [Theory]
    [InlineData("DELETE", "Calls.json")]
    [InlineData("DELETE", "Calls/CA00000000000000000000000000000000.json")]
    [InlineData("GET", "Recordings.json")]
    [InlineData("GET", "../../2010-04-01/Nope.json")]
    public async Task Unknown_routes_and_methods_answer_twilios_json_404(string method, string relativePath)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), $"{EmulatorFixture.AccountPath}/{relativePath}");

        using var response = await emulator.Rest.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await EmulatorFixture.ReadJsonAsync(response);
        Assert.Equal(20404, body!["code"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("GET", "Recordings.json")]
    [InlineData("DELETE", "Calls.json")]
    [InlineData("GET", "Calls/CA00000000000000000000000000000000/Recordings.json")]
    [InlineData("GET", "../../2010-04-01/Nope.json")]
    public async Task Bad_credentials_are_401_with_20003_even_on_routes_the_emulator_does_not_serve(string method, string relativePath)
    {
        using var wrongToken = RestClient($"{EmulatorFixture.AccountSid}:not-the-token");
        using var noCredentials = RestClient(null);

        foreach (var client in new[] { wrongToken, noCredentials })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), $"{EmulatorFixture.AccountPath}/{relativePath}");
            using var response = await client.SendAsync(request);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Basic", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
            Assert.Equal(20003, (await EmulatorFixture.ReadJsonAsync(response))!["code"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task Another_accounts_path_is_401_even_where_the_emulator_serves_nothing()
    {
        using var response = await emulator.Rest.GetAsync("/2010-04-01/Accounts/AC99999999999999999999999999999999/Recordings.json");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(20003, (await EmulatorFixture.ReadJsonAsync(response))!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task Phone_numbers_in_json_keep_their_plus_sign()
    {
        var to = RedirectTests.UniqueNumber();
        var (_, created) = await emulator.PostFormAsync("Calls.json", ("To", to), ("From", EmulatorFixture.SupportNumber), ("Twiml", HangUp));

        var raw = await emulator.Rest.GetStringAsync($"{EmulatorFixture.AccountPath}/Calls/{created!["sid"]}.json");

        Assert.Contains($"\"to\":\"{to}\"", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u002B", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_number_too_large_to_multiply_is_an_empty_page()
    {
        using var response = await emulator.Rest.GetAsync($"{EmulatorFixture.AccountPath}/Conferences.json?Page=2147483647&PageSize=1000");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await EmulatorFixture.ReadJsonAsync(response);
        Assert.Empty(page!["conferences"]!.AsArray());
        Assert.True(page["start"]!.GetValue<int>() >= 0);
        Assert.True(page["end"]!.GetValue<int>() >= 0);
    }

    private HttpClient RestClient(string? credentials)
    {
        var client = new HttpClient { BaseAddress = new Uri(emulator.BaseUrl) };
        if (credentials is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        }

        return client;
    }
}
