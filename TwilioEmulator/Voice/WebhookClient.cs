using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using WarmTransfer.TwilioEmulator.Delivery;
using WarmTransfer.TwilioEmulator.Model;

namespace WarmTransfer.TwilioEmulator.Voice;

/// <summary>
/// The answer to a webhook: status 0 when no HTTP answer came at all. <see cref="TooLarge"/> when its body went past
/// <see cref="WebhookClient.MaxBodyBytes"/>; <see cref="Body"/> then holds only its beginning.
/// </summary>
public sealed record WebhookResponse(
    int StatusCode, string Body, string? ContentType, string? Error, WebhookOutcome Outcome = WebhookOutcome.Answered2xx, bool TooLarge = false)
{
    public bool IsSuccess => StatusCode is >= 200 and < 300;

    /// <summary>An MP3, WAV or other audio file rather than TwiML.</summary>
    public bool IsAudio => ContentType?.StartsWith("audio/", StringComparison.OrdinalIgnoreCase) == true;
}

/// <summary>How a callback was delivered, shown on its event ("delayed 120 ms", "duplicate, delayed 340 ms", "in order, retry 1 of 1"), and the seed.</summary>
public sealed record DeliveryNote(string Text, int Seed);

/// <summary>
/// Sends webhooks the way Twilio does: form-encoded (or query for GET), signed, with Twilio's timeouts. A URL's fragment
/// (Twilio's connection overrides) is neither sent nor signed; its connect and read timeouts apply.
/// </summary>
public sealed class WebhookClient(
    IOptions<EmulatorOptions> options,
    IOptions<EmulatorTimingOptions> timing,
    EventLog events,
    TimeProvider time,
    ILogger<WebhookClient> logger)
{
    /// <summary>Twilio's limit on a TwiML answer (error 11750, "larger than 64 kB"): no more of a body is read.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private static readonly HttpRequestOptionsKey<TimeSpan> ConnectTimeout = new("WarmTransfer.ConnectTimeout");

    // Webhooks go out once, as Twilio sends them: no retrying resilience handler in between. Retries, where a delivery
    // mode asks for them, are CallbackDelivery's.
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = ConnectAsync,
    });

    public async Task<WebhookResponse> SendAsync(
        string kind, string url, string method, IReadOnlyDictionary<string, string> parameters,
        string? callSid, string? conferenceSid, CancellationToken cancellationToken, DeliveryNote? note = null, string? idempotencyToken = null)
    {
        var (target, overrides) = ConnectionOverrides.Parse(url);
        var isGet = string.Equals(method, "GET", StringComparison.OrdinalIgnoreCase);
        var requestUrl = isGet ? AppendQuery(target, parameters) : target;
        var signature = TwilioSignature.Compute(options.Value.AuthToken, requestUrl,
            isGet ? [] : parameters);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(overrides.ReadTimeout ?? timing.Value.WebhookTimeout);
        WebhookResponse result;
        string? traceParent = null;
        var sent = time.GetUtcNow();
        try
        {
            using var request = new HttpRequestMessage(isGet ? HttpMethod.Get : HttpMethod.Post, requestUrl);
            request.Headers.TryAddWithoutValidation("X-Twilio-Signature", signature);
            request.Headers.TryAddWithoutValidation("User-Agent", "TwilioProxy/1.1");
            // Twilio marks each webhook with a token its retries keep: the receiver can tell a repeat from a new request.
            request.Headers.TryAddWithoutValidation("I-Twilio-Idempotency-Token", idempotencyToken ?? Guid.NewGuid().ToString());
            request.Options.Set(ConnectTimeout, overrides.ConnectTimeout);
            if (!isGet)
            {
                request.Content = new FormUrlEncodedContent(parameters);
            }

            // Headers only: the body is read here, and no further than the limit.
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            // Put there by the HTTP client's tracing: the event log shows which trace the webhook belongs to.
            traceParent = request.Headers.TryGetValues("traceparent", out var values) ? values.FirstOrDefault() : null;
            result = await ReadAsync(response, timeout.Token);
        }
        catch (Exception exception) when (IsDeliveryFailure(exception) && !cancellationToken.IsCancellationRequested)
        {
            var outcome = exception switch
            {
                HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => WebhookOutcome.ConnectionFailed,
                OperationCanceledException => WebhookOutcome.ReadTimeout,
                HttpRequestException or IOException => WebhookOutcome.Broken,
                _ => WebhookOutcome.NotSent,
            };
            result = new WebhookResponse(0, string.Empty, null, exception.Message, outcome);
        }

        events.Add(kind, isGet ? "GET" : "POST", requestUrl, result.StatusCode, parameters, result.Error ?? result.Body,
            callSid, conferenceSid, traceParent: traceParent, timestamp: sent, delivery: note?.Text, seed: note?.Seed);
        if (!result.IsSuccess)
        {
            logger.LogWarning("{Kind} {Url} for {CallSid} answered {StatusCode} {Error}", kind, target, callSid, result.StatusCode, result.Error);
        }

        return result;
    }

    private static async Task<WebhookResponse> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var contentType = response.Content.Headers.ContentType?.MediaType;
        var status = (int)response.StatusCode;
        var outcome = status switch
        {
            >= 200 and < 300 => WebhookOutcome.Answered2xx,
            >= 400 and < 500 => WebhookOutcome.Answered4xx,
            >= 500 and < 600 => WebhookOutcome.Answered5xx,
            _ => WebhookOutcome.AnsweredOther,
        };
        var probe = new WebhookResponse(status, string.Empty, contentType, null, outcome);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        if (probe.IsAudio)
        {
            // An audio file is not text and not TwiML: the event log shows what it was, not its bytes, and it may be long.
            var length = await CountBytesAsync(body, cancellationToken);
            return probe with { Body = $"({contentType}, {length} bytes)" };
        }

        var buffer = new byte[MaxBodyBytes + 1];
        var read = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        // Decoded as HttpContent decodes a whole body: the charset it names, or else a byte order mark, or else UTF-8.
        using var limited = new ByteArrayContent(buffer, 0, Math.Min(read, MaxBodyBytes));
        limited.Headers.ContentType = response.Content.Headers.ContentType;
        return probe with { Body = await limited.ReadAsStringAsync(cancellationToken), TooLarge = read > MaxBodyBytes };
    }

    private static async Task<long> CountBytesAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        long length = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            length += read;
        }

        return length;
    }

    /// <summary>Connects within the request's connect timeout (Twilio's <c>ct</c>, 5 s by default); a failure is a connection error.</summary>
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var limit = context.InitialRequestMessage.Options.TryGetValue(ConnectTimeout, out var value) ? value : TimeSpan.FromSeconds(5);
        using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connectTimeout.CancelAfter(limit);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, connectTimeout.Token);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"Could not connect to {context.DnsEndPoint.Host}:{context.DnsEndPoint.Port}", exception);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// No HTTP answer: unreachable, timed out, cut off while its body was read, or a URL HttpClient cannot send to
    /// (relative, malformed, not http).
    /// </summary>
    private static bool IsDeliveryFailure(Exception exception) =>
        exception is HttpRequestException or IOException or OperationCanceledException or InvalidOperationException or UriFormatException
            or NotSupportedException;

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
