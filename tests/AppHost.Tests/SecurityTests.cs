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
