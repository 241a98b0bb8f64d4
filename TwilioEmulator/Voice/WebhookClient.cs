using System.Text;
using Microsoft.Extensions.Options;
using WarmTransfer.TwilioEmulator.Model;

namespace WarmTransfer.TwilioEmulator.Voice;

/// <summary>The answer to a webhook: status 0 when no HTTP answer came at all.</summary>
public sealed record WebhookResponse(int StatusCode, string Body, string? ContentType, string? Error)
{
    public bool IsSuccess => StatusCode is >= 200 and < 300;

    /// <summary>An MP3, WAV or other audio file rather than TwiML.</summary>
    public bool IsAudio => ContentType?.StartsWith("audio/", StringComparison.OrdinalIgnoreCase) == true;
}

/// <summary>Sends webhooks the way Twilio does: form-encoded (or query for GET), signed, with Twilio's timeout.</summary>
public sealed class WebhookClient(
    IOptions<EmulatorOptions> options,
    IOptions<EmulatorTimingOptions> timing,
    EventLog events,
    TimeProvider time,
    ILogger<WebhookClient> logger)
{
    // Webhooks go out once, as Twilio sends them: no retrying resilience handler in between.
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) });

    public async Task<WebhookResponse> SendAsync(
        string kind, string url, string method, IReadOnlyDictionary<string, string> parameters,
        string? callSid, string? conferenceSid, CancellationToken cancellationToken)
    {
        var isGet = string.Equals(method, "GET", StringComparison.OrdinalIgnoreCase);
        var requestUrl = isGet ? AppendQuery(url, parameters) : url;
        var signature = TwilioSignature.Compute(options.Value.AuthToken, requestUrl,
            isGet ? [] : parameters);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(timing.Value.WebhookTimeout);
        WebhookResponse result;
        string? traceParent = null;
        var sent = time.GetUtcNow();
        try
        {
            using var request = new HttpRequestMessage(isGet ? HttpMethod.Get : HttpMethod.Post, requestUrl);
            request.Headers.TryAddWithoutValidation("X-Twilio-Signature", signature);
            request.Headers.TryAddWithoutValidation("User-Agent", "TwilioProxy/1.1");
            if (!isGet)
            {
                request.Content = new FormUrlEncodedContent(parameters);
            }

            using var response = await Http.SendAsync(request, timeout.Token);
            // Put there by the HTTP client's tracing: the event log shows which trace the webhook belongs to.
            traceParent = request.Headers.TryGetValues("traceparent", out var values) ? values.FirstOrDefault() : null;
            result = await ReadAsync(response, timeout.Token);
        }
        catch (Exception exception) when (IsDeliveryFailure(exception) && !cancellationToken.IsCancellationRequested)
        {
            result = new WebhookResponse(0, string.Empty, null, exception.Message);
        }

        events.Add(kind, isGet ? "GET" : "POST", requestUrl, result.StatusCode, parameters, result.Error ?? result.Body,
            callSid, conferenceSid, traceParent: traceParent, timestamp: sent);
        if (!result.IsSuccess)
        {
            logger.LogWarning("{Kind} {Url} for {CallSid} answered {StatusCode} {Error}", kind, url, callSid, result.StatusCode, result.Error);
        }

        return result;
    }

    private static async Task<WebhookResponse> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var contentType = response.Content.Headers.ContentType?.MediaType;
        var probe = new WebhookResponse((int)response.StatusCode, string.Empty, contentType, null);
        if (probe.IsAudio)
        {
            // An audio file is not text: the event log shows what it was, not its bytes.
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return probe with { Body = $"({contentType}, {bytes.Length} bytes)" };
        }

        return probe with { Body = await response.Content.ReadAsStringAsync(cancellationToken) };
    }

    /// <summary>No HTTP answer: unreachable, timed out, or a URL HttpClient cannot send to (relative, malformed, not http).</summary>
    private static bool IsDeliveryFailure(Exception exception) =>
        exception is HttpRequestException or OperationCanceledException or InvalidOperationException or UriFormatException or NotSupportedException;

    private static string AppendQuery(string url, IReadOnlyDictionary<string, string> parameters)
    {
        if (parameters.Count == 0)
        {
            return url;
        }

        var query = new StringBuilder();
        foreach (var (key, value) in parameters)
        {
            query.Append(query.Length == 0 ? (url.Contains('?') ? '&' : '?') : '&')
                .Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return url + query;
    }
}
