using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace WarmTransfer.AppHost.Tests;

/// <summary>An agent using the portal's API as the browser does: cookie sign-in and anti-forgery tokens.</summary>
public sealed class PortalSession : IDisposable
{
    private readonly HttpClient _http;

    private PortalSession(Uri portal) =>
        _http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = portal };

    public static async Task<PortalSession> SignInAsync(DistributedApplication app, string agentId, string password)
    {
        using var discover = app.CreateHttpClient("agentportal");
        var session = new PortalSession(discover.BaseAddress!);
        await session.RefreshAntiforgeryAsync();
        using var signIn = await session._http.PostAsync("/account/sign-in",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["agentId"] = agentId, ["password"] = password }));
        Assert.Equal(HttpStatusCode.NoContent, signIn.StatusCode);
        // The token is bound to the signed-in user: take a new one.
        await session.RefreshAntiforgeryAsync();
        return session;
    }

    public static PortalSession Anonymous(DistributedApplication app)
    {
        using var discover = app.CreateHttpClient("agentportal");
        return new PortalSession(discover.BaseAddress!);
    }

    public async Task RefreshAntiforgeryAsync()
    {
        var answer = await _http.GetFromJsonAsync<JsonElement>("/api/antiforgery");
        _http.DefaultRequestHeaders.Remove("X-CSRF-TOKEN");
        _http.DefaultRequestHeaders.Add("X-CSRF-TOKEN", answer.GetProperty("token").GetString());
    }

    public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

    public Task<HttpResponseMessage> PostAsync(string path, object body) => _http.PostAsJsonAsync(path, body);

    public async Task<HttpResponseMessage> PostWithoutAntiforgeryAsync(string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        var token = _http.DefaultRequestHeaders.GetValues("X-CSRF-TOKEN").Single();
        _http.DefaultRequestHeaders.Remove("X-CSRF-TOKEN");
        try
        {
            return await _http.SendAsync(request);
        }
        finally
        {
            _http.DefaultRequestHeaders.Add("X-CSRF-TOKEN", token);
        }
    }

    public async Task PostOkAsync(string path, object body)
    {
        using var response = await PostAsync(path, body);
        Assert.True(response.IsSuccessStatusCode, $"POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public void Dispose() => _http.Dispose();
}
