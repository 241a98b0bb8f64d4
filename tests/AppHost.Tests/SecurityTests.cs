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
        Assert.DoesNotContain(callSid, (await redis.GetDatabase().ListRangeAsync(SystemState.WaitingLine)).Select(v => v.ToString()));
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

    public static TheoryData<string, string, string> MalformedFields => new()
    {
        // A trailing newline, which a '$' anchor lets through.
        { "/voice/incoming", "CallSid", TwilioSignature.NewCallSid() + "\n" },
        { "/voice/incoming", "CallSid", TwilioSignature.NewCallSid().ToUpperInvariant() },
        { "/voice/call-status?session={session}&leg=0123456789ab&role=7", "CallStatus", "ringing" },
        { "/voice/call-status?session={session}&leg=0123456789ab", "SequenceNumber", "1; DROP" },
        { "/voice/call-status?session={session}:x&leg=0123456789ab", "CallStatus", "ringing" },
        { "/voice/conference-events", "ParticipantLabel", "agent1 }" },
        { "/voice/conference-events", "ConferenceSid", "CF" + new string('0', 31) },
    };

    [Theory]
    [MemberData(nameof(MalformedFields))]
    public async Task A_signed_webhook_with_a_field_out_of_format_is_a_400_problem_and_writes_nothing(string path, string field, string value)
    {
        var session = TwilioSignature.NewCallSid();
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = session, ["CallStatus"] = "ringing", ["SequenceNumber"] = "1", ["From"] = "+15557652003",
            ["StatusCallbackEvent"] = "participant-join", ["FriendlyName"] = session, ["ConferenceSid"] = "CF" + new string('0', 32),
            ["ParticipantLabel"] = "customer",
        };
        form[field] = value;
        using var webhooks = fixture.App.CreateHttpClient("webhookapi");

        using var response = await PostSignedAsync(webhooks, path.Replace("{session}", session), form, await AuthTokenAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(path.Contains("role=7") ? "role" : path.Contains(":x") ? "session" : field, problem.GetProperty("detail").GetString());
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis"))!);
        Assert.False(await redis.GetDatabase().KeyExistsAsync($"wt:session:{{{session}}}"));
    }

    [Fact]
    public async Task An_unsigned_malformed_webhook_is_refused_for_its_signature_before_anything_reads_it()
    {
        using var webhooks = fixture.App.CreateHttpClient("webhookapi");

        using var response = await webhooks.PostAsync("/voice/call-status?session=x&leg=y&role=7",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["CallSid"] = "not a sid", ["SequenceNumber"] = "many" }));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_signed_conference_event_for_an_unknown_agent_adds_nobody_to_the_agents()
    {
        var session = TwilioSignature.NewCallSid();
        using var webhooks = fixture.App.CreateHttpClient("webhookapi");
        var form = new Dictionary<string, string>
        {
            ["StatusCallbackEvent"] = "participant-leave", ["FriendlyName"] = session, ["ConferenceSid"] = "CF" + new string('1', 32),
            ["ParticipantLabel"] = "ghost_agent", ["CallSid"] = TwilioSignature.NewCallSid(), ["SequenceNumber"] = "4",
        };

        using var response = await PostSignedAsync(webhooks, "/voice/conference-events", form, await AuthTokenAsync());

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis"))!);
        Assert.False(await redis.GetDatabase().HashExistsAsync("wt:{line}:agents", "ghost_agent"));
        Assert.Null(await redis.GetDatabase().SortedSetScoreAsync("wt:{line}:agents:available", "ghost_agent"));
    }

    [Fact]
    public async Task A_repeated_status_callback_is_answered_without_acting_again()
    {
        // A leg's answer for a session nobody knows: handling it asks Twilio (the emulator) to hang up that call, once per handling.
        var (session, callSid) = (TwilioSignature.NewCallSid(), TwilioSignature.NewCallSid());
        var form = new Dictionary<string, string> { ["CallSid"] = callSid, ["CallStatus"] = "in-progress", ["SequenceNumber"] = "2" };
        var path = $"/voice/call-status?session={session}&leg=0123456789ab&role=Owner";
        using var webhooks = fixture.App.CreateHttpClient("webhookapi");
        using var emulator = EmulatorAdmin.For(fixture.App);
        var token = Guid.NewGuid().ToString();

        using (var first = await PostSignedAsync(webhooks, path, form, await AuthTokenAsync(), token))
        {
            Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        }

        await Eventually.HoldsAsync(async () => await HangUpsAsync(emulator, callSid) == 1 ? null : "the first callback was not acted on", SystemState.StepTimeout);
        using (var repeat = await PostSignedAsync(webhooks, path, form, await AuthTokenAsync(), token))
        {
            Assert.Equal(HttpStatusCode.NoContent, repeat.StatusCode);
        }

        // The same callback without Twilio's token is recognised by its content; a marker callback acted on after both shows
        // the repeats had their chance to act.
        using (var copy = await PostSignedAsync(webhooks, path, form, await AuthTokenAsync()))
        {
            Assert.Equal(HttpStatusCode.NoContent, copy.StatusCode);
        }

        var marker = TwilioSignature.NewCallSid();
        using (await PostSignedAsync(webhooks, path, new Dictionary<string, string>(form) { ["CallSid"] = marker }, await AuthTokenAsync()))
        {
        }

        await Eventually.HoldsAsync(async () => await HangUpsAsync(emulator, marker) == 1 ? null : "the marker callback was not acted on", SystemState.StepTimeout);
        Assert.Equal(1, await HangUpsAsync(emulator, callSid));
    }

    // A handling is retried after a 429, a 5xx or no answer (the emulator paces and fails like Twilio); it ends in one final answer.
    private static async Task<int> HangUpsAsync(EmulatorAdmin emulator, string callSid) =>
        (await emulator.EventsAsync()).Count(e => e.Kind == "rest" && e.Method == "POST" && e.StatusCode is < 429 or (> 429 and < 500)
            && e.Url?.Contains($"/Calls/{callSid}.json", StringComparison.Ordinal) == true);

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
        for (var guess = 1; guess <= WarmTransferAppFixture.AddressFailuresBeforeLockout; guess++)
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

    [Theory]
    [InlineData("agentportal", "/")]
    [InlineData("agentportal", "/api/antiforgery")]
    [InlineData("agentportal", "/account/session")]
    [InlineData("twilio-emulator", "/")]
    public async Task Every_page_and_answer_carries_the_security_headers(string service, string path)
    {
        using var http = fixture.App.CreateHttpClient(service);

        using var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.Contains("script-src 'self'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);
        Assert.DoesNotContain("unsafe-eval", policy);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Served_over_https_through_a_proxy_the_portal_sends_hsts_and_secure_cookies()
    {
        using var http = fixture.App.CreateHttpClient("agentportal");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/antiforgery");
        request.Headers.Add("X-Forwarded-Proto", "https");

        using var response = await http.SendAsync(request);

        Assert.Equal("max-age=31536000", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));
        Assert.All(response.Headers.GetValues("Set-Cookie"), cookie => Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task The_agent_hub_refuses_a_page_of_another_origin_and_takes_its_own()
    {
        using var agent = await PortalClient.SignInAsync(fixture.App, "agent3", "agent3-dev-password");

        var refused = await Assert.ThrowsAnyAsync<System.Net.WebSockets.WebSocketException>(
            () => agent.ConnectHubAsync(origin: "https://attacker.example"));
        await using var own = await agent.ConnectHubAsync(origin: agent.Portal.GetLeftPart(UriPartial.Authority));

        Assert.Contains("403", refused.Message);
        using var timeout = new CancellationTokenSource(SystemState.StepTimeout);
        Assert.Equal("agent3", (await own.Views.ReadAsync(timeout.Token)).View.Agent.Id);
    }

    [Fact]
    public async Task After_sign_out_a_copied_cookie_stops_working_and_the_sessions_hub_connection_closes()
    {
        using var agent = await PortalClient.SignInAsync(fixture.App, "agent3", "agent3-dev-password");
        await using var hub = await agent.ConnectHubAsync();
        using var thief = fixture.App.CreateHttpClient("agentportal");
        thief.DefaultRequestHeaders.Add("Cookie", agent.CookieHeader);
        using (var before = await thief.GetAsync("/api/me"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await agent.SignOutAsync();

        using var after = await thief.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        await hub.Completion.WaitAsync(SystemState.StepTimeout);
    }

    [Fact]
    public async Task An_agent_removed_from_the_directory_loses_their_cookie_and_hub_connection_at_once()
    {
        using var rita = await PortalClient.SignInAsync(fixture.App, WarmTransferAppFixture.FileAgent, WarmTransferAppFixture.LoadAgentPassword);
        await using var hub = await rita.ConnectHubAsync();
        using (var before = await rita.GetAsync("/api/me"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await File.WriteAllTextAsync(fixture.AgentDirectoryFile, "[]");

        // Each portal replica reads the file again within a second of the change.
        await hub.Completion.WaitAsync(SystemState.StepTimeout);
        await Eventually.HoldsAsync(async () =>
        {
            using var after = await rita.GetAsync("/api/me");
            return after.StatusCode == HttpStatusCode.Unauthorized ? null : $"the removed agent's cookie still answers {after.StatusCode}";
        }, TimeSpan.FromSeconds(5));
        await Eventually.HoldsAsync(async () =>
        {
            using var client = await SignInFormAsync("198.51.100.70");
            using var signIn = await client.PostSignInAsync(WarmTransferAppFixture.FileAgent, WarmTransferAppFixture.LoadAgentPassword);
            return signIn.StatusCode == HttpStatusCode.Unauthorized ? null : $"the removed agent's sign-in answers {signIn.StatusCode}";
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_sign_in_lasts_twelve_hours_from_sign_in_whatever_the_agent_does()
    {
        var signedIn = DateTimeOffset.UtcNow;
        using var agent = await PortalClient.SignInAsync(fixture.App, "agent3", "agent3-dev-password");
        var first = await SessionAsync(agent);
        Assert.InRange(first.GetProperty("expiresAt").GetDateTimeOffset() - signedIn,
            TimeSpan.FromHours(12) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(12) + TimeSpan.FromMinutes(1));

        // Requests do not push the end further away.
        using (await agent.GetAsync("/api/me"))
        {
        }

        Assert.Equal(first.GetProperty("expiresAt").GetDateTimeOffset(), (await SessionAsync(agent)).GetProperty("expiresAt").GetDateTimeOffset());
    }

    private static async Task<JsonElement> SessionAsync(PortalClient agent)
    {
        using var response = await agent.GetAsync("/account/session");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
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

    private static async Task<HttpResponseMessage> PostSignedAsync(
        HttpClient http, string path, Dictionary<string, string> form, string authToken, string? idempotencyToken = null)
    {
        using var request = TwilioSignature.SignedPost(authToken, new Uri(http.BaseAddress!, path), form);
        if (idempotencyToken is not null)
        {
            request.Headers.Add("I-Twilio-Idempotency-Token", idempotencyToken);
        }

        return await http.SendAsync(request);
    }

    private static string NewCallSid() => TwilioSignature.NewCallSid();

    private static byte[] Base64UrlDecode(string value) =>
        Convert.FromBase64String(value.Replace('-', '+').Replace('_', '/').PadRight(value.Length + (4 - value.Length % 4) % 4, '='));
}
