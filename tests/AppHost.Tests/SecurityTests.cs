using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StackExchange.Redis;

namespace WarmTransfer.AppHost.Tests;

/// <summary>Twilio-facing routes trust only Twilio's signature; the portal trusts only a signed-in agent.</summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed class SecurityTests(WarmTransferAppFixture fixture)
{
    [Fact]
    public async Task An_unsigned_or_wrongly_signed_voice_webhook_is_refused_and_changes_nothing()
    {
        var callSid = NewCallSid();
        var form = new Dictionary<string, string> { ["CallSid"] = callSid, ["From"] = "+15557652000", ["To"] = "+15005550006" };
        using var webhooks = fixture.App.CreateHttpClient("webhookapi");

        using var unsigned = await webhooks.PostAsync("/voice/incoming", new FormUrlEncodedContent(form));
        using var wrong = await PostSignedAsync(webhooks, "/voice/incoming", form, authToken: "not-the-auth-token-not-the-auth-token");

        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis"))!);
        Assert.False(await redis.GetDatabase().KeyExistsAsync($"wt:session:{{{callSid}}}"));
        Assert.DoesNotContain(callSid, (await redis.GetDatabase().ListRangeAsync("wt:{line}:callers:waiting")).Select(v => v.ToString()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-call-sid")]
    public async Task A_signed_webhook_without_a_valid_call_sid_is_a_400_problem(string? callSid)
    {
        var form = new Dictionary<string, string> { ["From"] = "+15557652001" };
        if (callSid is not null)
        {
            form["CallSid"] = callSid;
        }

        using var webhooks = fixture.App.CreateHttpClient("webhookapi");
        using var response = await PostSignedAsync(webhooks, "/voice/incoming", form, await AuthTokenAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_oversized_webhook_body_is_a_400_problem()
    {
        var form = new Dictionary<string, string> { ["CallSid"] = NewCallSid(), ["Padding"] = new string('x', 100_000) };
        using var webhooks = fixture.App.CreateHttpClient("webhookapi");

        using var response = await PostSignedAsync(webhooks, "/voice/incoming", form, await AuthTokenAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_token_needs_sign_in_and_is_only_for_the_signed_in_agent()
    {
        using var anonymous = PortalClient.Anonymous(fixture.App);
        using var refused = await anonymous.GetAsync("/api/token");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var agent = await PortalClient.SignInAsync(fixture.App, "agent3", "agent3-dev-password");
        using var response = await agent.GetAsync("/api/token");
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        var payload = JsonDocument.Parse(Base64UrlDecode(answer.GetProperty("token").GetString()!.Split('.')[1])).RootElement;

        Assert.Equal("agent3", payload.GetProperty("grants").GetProperty("identity").GetString());
        Assert.True(payload.GetProperty("grants").GetProperty("voice").GetProperty("incoming").GetProperty("allow").GetBoolean());
        Assert.InRange(payload.GetProperty("exp").GetInt64() - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 1, 3600);
    }

    [Theory]
    [InlineData("agent3")]
    [InlineData("nobody")]
    [InlineData(WarmTransferAppFixture.BrokenHashAgent)]
    public async Task A_wrong_password_an_unknown_agent_or_a_broken_directory_entry_does_not_sign_in_and_says_the_same(string agentId)
    {
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => PortalClient.SignInAsync(fixture.App, agentId, "wrong-password"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Guessing_one_agents_password_locks_the_agent_out_and_the_lockout_holds_even_for_the_right_password()
    {
        const string agent = WarmTransferAppFixture.LockoutAgent;
        using var attacker = await SignInFormAsync("198.51.100.10");
        for (var guess = 1; guess <= 5; guess++)
        {
            using var refused = await attacker.PostSignInAsync(agent, $"guess-{guess}");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var locked = await attacker.PostSignInAsync(agent, WarmTransferAppFixture.LoadAgentPassword);
        using var elsewhere = await SignInFormAsync("198.51.100.11");
        using var lockedElsewhere = await elsewhere.PostSignInAsync(agent, WarmTransferAppFixture.LoadAgentPassword);

        foreach (var response in new[] { locked, lockedElsewhere })
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.InRange(response.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task Many_failures_from_one_address_lock_that_address_out_whatever_the_agent_ids_and_no_other()
    {
        const string address = "198.51.100.20";
        using var attacker = await SignInFormAsync(address);
        for (var guess = 1; guess <= 50; guess++)
        {
            using var refused = await attacker.PostSignInAsync($"guess{guess}", "password");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var locked = await attacker.PostSignInAsync(WarmTransferAppFixture.LoadAgents[^1], WarmTransferAppFixture.LoadAgentPassword);
        using var neighbour = await SignInFormAsync("198.51.100.21");
        using var open = await neighbour.PostSignInAsync(WarmTransferAppFixture.LoadAgents[^1], WarmTransferAppFixture.LoadAgentPassword);

        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, open.StatusCode);
    }

    [Fact]
    public async Task A_flood_of_sign_in_requests_from_one_address_is_answered_429_before_any_password_is_checked()
    {
        using var flood = PortalClient.Anonymous(fixture.App, "198.51.100.30");
        var answers = new List<HttpStatusCode>();
        // No anti-forgery token: each request is cheap to refuse, and still spends the address's sign-in budget (60 at once per replica).
        while (answers.Count < 200 && !answers.Contains(HttpStatusCode.TooManyRequests))
        {
            using var response = await flood.PostWithoutAntiforgeryFormAsync("/account/sign-in", new() { ["agentId"] = "agent1", ["password"] = "x" });
            answers.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, answers);
        Assert.InRange(answers.Count, 61, 200);
        using var other = await SignInFormAsync("198.51.100.31");
        using var unaffected = await other.PostSignInAsync("agent3", "agent3-dev-password");
        Assert.Equal(HttpStatusCode.NoContent, unaffected.StatusCode);
    }

    [Fact]
    public async Task An_oversized_sign_in_request_is_refused_with_a_problem_and_checks_no_password()
    {
        using var client = await SignInFormAsync("198.51.100.40");

        using var response = await client.PostSignInAsync("agent3", new string('x', 20_000));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_wrong_password_takes_as_long_for_an_unknown_agent_id_as_for_a_known_one()
    {
        using var client = await SignInFormAsync("198.51.100.50");
        var known = new List<TimeSpan>();
        var unknown = new List<TimeSpan>();
        // Interleaved, so a busy moment of the machine weighs on both alike.
        foreach (var agent in WarmTransferAppFixture.LoadAgents.TakeLast(8))
        {
            known.Add(await TimeAsync(() => client.PostSignInAsync(agent, "wrong-password")));
            unknown.Add(await TimeAsync(() => client.PostSignInAsync($"{agent}x", "wrong-password")));
        }

        // Without the same hash check for an unknown id it answers in a millisecond or two, against over a hundred for a known one.
        var (knownMedian, unknownMedian) = (Median(known), Median(unknown));
        Assert.InRange(unknownMedian / knownMedian, 0.5, 2.0);
    }

    [Fact]
    public async Task Signing_in_replaces_a_weak_directory_hash_with_a_current_one_that_still_signs_in()
    {
        var agent = WarmTransferAppFixture.LoadAgents[^2];
        using (await PortalClient.SignInAsync(fixture.App, agent, WarmTransferAppFixture.LoadAgentPassword))
        {
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis"))!);
        var upgraded = (string?)await redis.GetDatabase().HashGetAsync("wt:portal:password-hashes", agent);
        Assert.NotNull(upgraded);
        Assert.Contains("pbkdf2-sha256$600000$", upgraded);
        using var again = await PortalClient.SignInAsync(fixture.App, agent, WarmTransferAppFixture.LoadAgentPassword);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => PortalClient.SignInAsync(fixture.App, agent, "load-agent-password-not"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task An_agent_cannot_transfer_hold_or_leave_a_call_they_are_not_in()
    {
        await fixture.ResetAsync();
        using var agent = await PortalClient.SignInAsync(fixture.App, "agent3", "agent3-dev-password");

        foreach (var (path, body) in new (string, object)[] { ("/api/transfer", new { colleague = "agent2" }), ("/api/hold", new { hold = true }), ("/api/leave", new { }) })
        {
            using var response = await agent.PostAsync(path, body);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_post_without_the_anti_forgery_token_is_refused()
    {
        using var agent = await PortalClient.SignInAsync(fixture.App, "agent3", "agent3-dev-password");

        using var response = await agent.PostWithoutAntiforgeryAsync("/api/presence", new { status = "away" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    /// <summary>A client from <paramref name="address"/>, ready to post the sign-in form.</summary>
    private async Task<PortalClient> SignInFormAsync(string address)
    {
        var client = PortalClient.Anonymous(fixture.App, address);
        await client.RefreshAntiforgeryAsync();
        return client;
    }

    private static async Task<TimeSpan> TimeAsync(Func<Task<HttpResponseMessage>> request)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        using var response = await request();
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        return stopwatch.Elapsed;
    }

    private static TimeSpan Median(List<TimeSpan> times) => times.Order().ElementAt(times.Count / 2);

    private Task<string> AuthTokenAsync() => AppHostLauncher.AuthTokenAsync(fixture.App);

    private static async Task<HttpResponseMessage> PostSignedAsync(HttpClient http, string path, Dictionary<string, string> form, string authToken)
    {
        using var request = TwilioSignature.SignedPost(authToken, new Uri(http.BaseAddress!, path), form);
        return await http.SendAsync(request);
    }

    private static string NewCallSid() => TwilioSignature.NewCallSid();

    private static byte[] Base64UrlDecode(string value) =>
        Convert.FromBase64String(value.Replace('-', '+').Replace('_', '/').PadRight(value.Length + (4 - value.Length % 4) % 4, '='));
}
