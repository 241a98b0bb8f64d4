using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>A webhook request the emulator sent, as the server received it.</summary>
public sealed record ReceivedWebhook(string Method, string Path, string Url, IReadOnlyDictionary<string, string> Parameters, string? Signature)
{
    public string this[string key] => Parameters.TryGetValue(key, out var value) ? value : string.Empty;
}

/// <summary>A real HTTP server standing in for our services: it answers TwiML per path and records every request.</summary>
public sealed class WebhookServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (int StatusCode, string ContentType, Func<ReceivedWebhook, Task<string>> Body)> _answers =
        new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();

    private WebhookServer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = string.Empty;

    public static async Task<WebhookServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var server = new WebhookServer(builder.Build());
        server._app.Run(server.HandleAsync);
        await server._app.StartAsync();
        server.BaseUrl = server._app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>()
            .Addresses.Single().TrimEnd('/');
        return server;
    }

    /// <summary>The TwiML answered at <paramref name="path"/>; other paths answer an empty 200 (callbacks).</summary>
    public string Serve(string path, Func<ReceivedWebhook, string> twiml) => Serve(path, request => Task.FromResult(twiml(request)));

    /// <summary>TwiML answered when the handler's task completes: the request stays open until then.</summary>
    public string Serve(string path, Func<ReceivedWebhook, Task<string>> twiml)
    {
        _answers[path] = (StatusCodes.Status200OK, "text/xml", twiml);
        return BaseUrl + path;
    }

    public string Serve(string path, string twiml) => Serve(path, _ => twiml);

    /// <summary>An MP3 at <paramref name="path"/>, as a wait or hold URL may answer instead of TwiML.</summary>
    public string ServeAudio(string path)
    {
        _answers[path] = (StatusCodes.Status200OK, "audio/mpeg", _ => Task.FromResult("ID3\u0004\0\0\0\0\0\0 not really music"));
        return BaseUrl + path;
    }

    /// <summary>An error status at <paramref name="path"/>, as a failing service answers.</summary>
    public string ServeStatus(string path, int statusCode)
    {
        _answers[path] = (statusCode, "text/plain", _ => Task.FromResult("failing on purpose"));
        return BaseUrl + path;
    }

    public string Url(string path) => BaseUrl + path;

    public IReadOnlyList<ReceivedWebhook> Received(string path) => _received.Where(r => r.Path == path).ToList();

    /// <summary>Waits until the requests to <paramref name="path"/> satisfy <paramref name="done"/>.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(string path, Func<IReadOnlyList<ReceivedWebhook>, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var received = Received(path);
            if (done(received))
            {
                return received;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{path} received {received.Count} requests: {string.Join(" | ", received.Select(r => string.Join(",", r.Parameters.Select(p => $"{p.Key}={p.Value}"))))}");
            }

            await Task.Delay(Poll.Interval);
        }
    }

    private async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (request.HasFormContentType)
        {
            foreach (var (key, value) in await request.ReadFormAsync())
            {
                parameters[key] = value.ToString();
            }
        }

        var url = $"{BaseUrl}{request.Path}{request.QueryString}";
        var received = new ReceivedWebhook(request.Method, request.Path, url, parameters, request.Headers["X-Twilio-Signature"]);
        _received.Enqueue(received);

        if (_answers.TryGetValue(request.Path, out var answer))
        {
            var body = await answer.Body(received);
            http.Response.StatusCode = answer.StatusCode;
            http.Response.ContentType = answer.ContentType;
            await http.Response.WriteAsync(body);
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

public static class Poll
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>Waits for a condition with a timeout, instead of sleeping for a guessed time.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}");
            }

            await Task.Delay(Interval);
        }
    }
}
