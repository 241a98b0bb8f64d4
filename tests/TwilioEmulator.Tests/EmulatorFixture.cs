using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Twilio.Clients;
using Twilio.Http;
using HttpClient = System.Net.Http.HttpClient;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>One emulator and one webhook server for all emulator tests; each test uses its own calls and names.</summary>
public class EmulatorFixture : IAsyncLifetime
{
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string AuthToken = "test-auth-token-0123456789abcdefghij";
    public const string ApiKeySid = "SK0123456789abcdef0123456789abcdef";
    public const string ApiKeySecret = "test-api-key-secret-0123456789abcdef";
    public const string SupportNumber = "+15005550006";
    public const string VoicePath = "/voice";

    private WebApplication _emulator = null!;

    public WebhookServer Webhooks { get; private set; } = null!;

    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>The official Twilio SDK, its requests rewritten to the emulator; every JSON answer is checked against the spec.</summary>
    public ITwilioRestClient Twilio { get; private set; } = null!;

    /// <summary>The emulator's admin API.</summary>
    public HttpClient Admin { get; private set; } = null!;

    /// <summary>The REST API without the SDK, authenticated, for requests the SDK will not send (no From, a malformed body).</summary>
    public HttpClient Rest { get; private set; } = null!;

    public const string AccountPath = $"/2010-04-01/Accounts/{AccountSid}";

    private Func<ReceivedWebhook, Task<string>> _voice = _ => Task.FromResult("<Response><Hangup/></Response>");

    /// <summary>Requests sent to the voice URL are answered by the handler the test sets here.</summary>
    public Func<ReceivedWebhook, string> Voice
    {
        set => _voice = request => Task.FromResult(value(request));
    }

    /// <summary>The same, for a handler that answers when the test lets it (a voice URL still being fetched).</summary>
    public Func<ReceivedWebhook, Task<string>> VoiceAsync
    {
        set => _voice = value;
    }

    /// <summary>The emulator's own services, for tests of one component's rules.</summary>
    public IServiceProvider Services => _emulator.Services;

    public async Task InitializeAsync()
    {
        Webhooks = await WebhookServer.StartAsync();
        var voiceUrl = Webhooks.Serve(VoicePath, request => _voice(request));
        _emulator = EmulatorApp.Build(
        [
            "--urls=http://127.0.0.1:0",
            $"--contentRoot={Path.Combine(RepositoryRoot.Find(), "TwilioEmulator")}",
            $"--Twilio:AccountSid={AccountSid}",
            $"--Twilio:AuthToken={AuthToken}",
            $"--Twilio:ApiKeySid={ApiKeySid}",
            $"--Twilio:ApiKeySecret={ApiKeySecret}",
            $"--Twilio:PhoneNumber={SupportNumber}",
            $"--Twilio:VoiceUrl={voiceUrl}",
            "--Emulator:SayDuration=00:00:00.050",
            "--Emulator:PlayDuration=00:00:00.100",
            "--Emulator:RingDelay=00:00:00.020",
            "--Emulator:PauseScale=0.05",
            "--Logging:LogLevel:Default=Warning",
            .. Settings(Webhooks),
        ]);
        await _emulator.StartAsync();
        BaseUrl = _emulator.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>()
            .Addresses.Single().TrimEnd('/');
        Twilio = CreateClient(AccountSid, AuthToken);
        Admin = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        Rest = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        Rest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}")));
    }

    /// <summary>Settings on top of the common ones (command-line form, later ones win), for an emulator configured otherwise.</summary>
    protected virtual IEnumerable<string> Settings(WebhookServer webhooks) => [];

    /// <summary>A form POST to a REST path under the account; the answer's status and JSON body (null when empty).</summary>
    public async Task<(HttpStatusCode Status, JsonObject? Body)> PostFormAsync(
        string relativePath, params (string Key, string Value)[] fields)
    {
        using var content = new FormUrlEncodedContent(fields.Select(field => KeyValuePair.Create(field.Key, field.Value)));
        using var response = await Rest.PostAsync($"{AccountPath}/{relativePath}", content);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public static async Task<JsonObject?> ReadJsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        return body.Length == 0 ? null : JsonNode.Parse(body)!.AsObject();
    }

    public ITwilioRestClient CreateClient(string username, string password) =>
        new TwilioRestClient(username, password, accountSid: AccountSid,
            httpClient: new SystemNetHttpClient(new HttpClient(new EmulatorHandler(new Uri(BaseUrl)))));

    public async Task<JsonElement> StateAsync() => await Admin.GetFromJsonAsync<JsonElement>("/admin/state");

    public async Task<JsonElement> ConferenceStateAsync(string friendlyName) =>
        (await StateAsync()).GetProperty("conferences").EnumerateArray()
            .Last(conference => conference.GetProperty("friendlyName").GetString() == friendlyName);

    public async Task<JsonElement[]> EventsAsync() => await Admin.GetFromJsonAsync<JsonElement[]>("/admin/events") ?? [];

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        Rest.Dispose();
        await _emulator.DisposeAsync();
        await Webhooks.DisposeAsync();
    }

    /// <summary>Sends the SDK's api.twilio.com requests to the emulator, and validates each JSON answer against the spec.</summary>
    private sealed class EmulatorHandler(Uri emulator) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = new UriBuilder(request.RequestUri!) { Scheme = emulator.Scheme, Host = emulator.Host, Port = emulator.Port };
            request.RequestUri = target.Uri;
            var response = await base.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == "application/json")
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                var template = OpenApiSpec.Twilio.FindPathTemplate(target.Uri.AbsolutePath)
                    ?? throw new InvalidOperationException($"No spec path for {target.Uri.AbsolutePath}");
                OpenApiSpec.Twilio.AssertValid(template, request.Method.Method, (int)response.StatusCode, body);
            }

            return response;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class EmulatorCollection : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "Twilio emulator";
}
