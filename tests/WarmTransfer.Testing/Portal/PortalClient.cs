using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace WarmTransfer.Testing;

/// <summary>
/// An agent using the portal as the browser does: cookie sign-in, an anti-forgery token on every POST, the API, and the
/// live view over the agent hub (<see cref="ConnectHubAsync"/>).
/// </summary>
public sealed class PortalClient : IDisposable, IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly CookieContainer _cookies = new();
    private readonly HttpClient _http;

    private PortalClient(Uri portal, string? agentId, TimeSpan? timeout)
    {
        Portal = portal;
        AgentId = agentId;
        _http = new HttpClient(new SocketsHttpHandler { CookieContainer = _cookies }) { BaseAddress = portal };
        if (timeout is { } limit)
        {
            _http.Timeout = limit;
        }
    }

    public Uri Portal { get; }

    /// <summary>The signed-in agent; null for an anonymous client.</summary>
    public string? AgentId { get; }

    /// <summary>Signs in; an <see cref="HttpRequestException"/> with the status code when the portal refuses.</summary>
    public static async Task<PortalClient> SignInAsync(
        Uri portal, string agentId, string password, CancellationToken cancellationToken = default, TimeSpan? timeout = null)
    {
        var client = new PortalClient(portal, agentId, timeout);
        try
        {
            await client.RefreshAntiforgeryAsync(cancellationToken);
            using var signIn = await client.PostSignInAsync(agentId, password, cancellationToken);
            if (signIn.StatusCode != HttpStatusCode.NoContent)
            {
                throw new HttpRequestException(
                    $"{agentId} could not sign in: {(int)signIn.StatusCode} {await signIn.Content.ReadAsStringAsync(cancellationToken)}", null, signIn.StatusCode);
            }

            // The anti-forgery token is bound to the signed-in user: take a new one.
            await client.RefreshAntiforgeryAsync(cancellationToken);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public static Task<PortalClient> SignInAsync(DistributedApplication app, string agentId, string password, CancellationToken cancellationToken = default) =>
        SignInAsync(AppHostLauncher.Endpoint(app, "agentportal"), agentId, password, cancellationToken);

    /// <summary>
    /// A client that has not signed in. With <paramref name="forwardedFor"/>, its requests say they come from that address through a
    /// proxy on this machine, which the portal trusts: a test plays a client of its own address.
    /// </summary>
    public static PortalClient Anonymous(DistributedApplication app, string? forwardedFor = null)
    {
        var client = new PortalClient(AppHostLauncher.Endpoint(app, "agentportal"), null, null);
        if (forwardedFor is not null)
        {
            client._http.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        }

        return client;
    }

    /// <summary>The sign-in form as the page posts it (anti-forgery token from <see cref="RefreshAntiforgeryAsync"/>), its answer as it is.</summary>
    public Task<HttpResponseMessage> PostSignInAsync(string agentId, string password, CancellationToken cancellationToken = default) =>
        _http.PostAsync("/account/sign-in",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["agentId"] = agentId, ["password"] = password }), cancellationToken);

    public async Task RefreshAntiforgeryAsync(CancellationToken cancellationToken = default)
    {
        var answer = await _http.GetFromJsonAsync<JsonElement>("/api/antiforgery", cancellationToken);
        _http.DefaultRequestHeaders.Remove("X-CSRF-TOKEN");
        _http.DefaultRequestHeaders.Add("X-CSRF-TOKEN", answer.GetProperty("token").GetString());
    }

    /// <summary>The session cookie as a browser would send it: what a thief of the cookie would copy.</summary>
    public string CookieHeader => _cookies.GetCookieHeader(Portal);

    /// <summary>Signs out, as the page's Sign out button does.</summary>
    public async Task SignOutAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _http.PostAsync("/account/sign-out", null, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public Task<HttpResponseMessage> GetAsync(string path, CancellationToken cancellationToken = default) => _http.GetAsync(path, cancellationToken);

    public Task<HttpResponseMessage> PostAsync(string path, object body, CancellationToken cancellationToken = default) =>
        _http.PostAsJsonAsync(path, body, cancellationToken);

    /// <summary>Posts and throws an <see cref="HttpRequestException"/> (with the answer's body) unless it succeeded.</summary>
    public async Task PostOkAsync(string path, object body, CancellationToken cancellationToken = default)
    {
        using var response = await PostAsync(path, body, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"{AgentId}: POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}",
                null, response.StatusCode);
        }
    }

    /// <summary>A POST as a forged cross-site request would send it: without the anti-forgery header.</summary>
    /// <summary>A form posted without the anti-forgery header or cookie.</summary>
    public async Task<HttpResponseMessage> PostWithoutAntiforgeryFormAsync(string path, Dictionary<string, string> form, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        return await _http.SendAsync(request, cancellationToken);
    }

    public async Task<HttpResponseMessage> PostWithoutAntiforgeryAsync(string path, object body, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        var token = _http.DefaultRequestHeaders.GetValues("X-CSRF-TOKEN").Single();
        _http.DefaultRequestHeaders.Remove("X-CSRF-TOKEN");
        try
        {
            return await _http.SendAsync(request, cancellationToken);
        }
        finally
        {
            _http.DefaultRequestHeaders.Add("X-CSRF-TOKEN", token);
        }
    }

    /// <summary>A softphone token for the signed-in agent.</summary>
    public async Task<SoftphoneToken> TokenAsync(CancellationToken cancellationToken = default) =>
        (await _http.GetFromJsonAsync<SoftphoneToken>("/api/token", Json, cancellationToken))!;

    public async Task<SoftphoneSettings> SoftphoneAsync(CancellationToken cancellationToken = default) =>
        (await _http.GetFromJsonAsync<SoftphoneSettings>("/api/softphone", Json, cancellationToken))!;

    /// <summary>What routing sees of the signed-in agent and what they chose (<c>/api/me</c>).</summary>
    public async Task<AgentSummary> MeAsync(CancellationToken cancellationToken = default) =>
        (await _http.GetFromJsonAsync<AgentSummary>("/api/me", Json, cancellationToken))!;

    /// <summary>The call the signed-in agent is rung for or in (<c>/api/call</c>), or null.</summary>
    public async Task<CallView?> CallAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync("/api/call", cancellationToken);
        response.EnsureSuccessStatusCode();
        return response.StatusCode == System.Net.HttpStatusCode.NoContent
            ? null
            : await response.Content.ReadFromJsonAsync<CallView>(Json, cancellationToken);
    }

    /// <summary>Opens the live view as the page does; the first push (the whole view) follows at once.</summary>
    /// <param name="origin">The Origin a browser page would send (none by default).</param>
    public Task<AgentHubListener> ConnectHubAsync(CancellationToken cancellationToken = default, string? origin = null) =>
        AgentHubListener.ConnectAsync(Portal, _cookies, cancellationToken, origin: origin);

    /// <summary>The agent's page with its softphone, once opened (<see cref="OpenDeskAsync"/>).</summary>
    public AgentDesk? Desk { get; private set; }

    /// <summary>Opens the agent's page with a registered softphone, as a browser does; once.</summary>
    public async Task<AgentDesk> OpenDeskAsync(CancellationToken cancellationToken = default) =>
        Desk ??= await AgentDesk.OpenAsync(this, cancellationToken);

    /// <summary>Opens the page (if it is not open) and chooses Available: routing offers calls to this agent.</summary>
    public async Task GoAvailableAsync(CancellationToken cancellationToken = default)
    {
        await OpenDeskAsync(cancellationToken);
        // The page's heartbeat goes without waiting for an answer, as a browser's does: Available is chosen once the portal has
        // it, as an agent who sees their softphone ready would, so the agent is routable as soon as this returns.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while ((await MeAsync(timeout.Token)).Softphone is null)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), timeout.Token);
        }

        await PostOkAsync("/api/presence", new { status = "available" }, cancellationToken);
    }

    /// <summary>Closes the page, if open, as a closed tab does: the agent is offered no more calls.</summary>
    public async Task CloseDeskAsync()
    {
        if (Desk is { } desk)
        {
            Desk = null;
            await desk.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseDeskAsync();
        _http.Dispose();
    }

    /// <summary>Closes the page (waiting for it, off the caller's context) and the client.</summary>
    public void Dispose()
    {
        if (Desk is not null)
        {
            Task.Run(CloseDeskAsync).Wait(TimeSpan.FromSeconds(10));
        }

        _http.Dispose();
    }
}
