using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WarmTransfer.CallCenter.State;
using Twilio.Security;
using WarmTransfer.CallCenter;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.Telephony;

namespace WarmTransfer.WebhookApi;

/// <summary>
/// What every request to <c>/voice</c> passes before a handler binds anything, in this order:
/// <list type="number">
/// <item>a body of at most <see cref="MaxBodyBytes"/> (400);</item>
/// <item>an X-Twilio-Signature that matches the public URL Twilio called, as configured in <see cref="TwilioOptions.WebhookBaseUrl"/>,
/// never the Host header this service happens to see (403: counted, and logged at most once a minute with how many);</item>
/// <item>every field Twilio sends, in the query or the form, in its format (400 naming the field): nothing unchecked reaches a
/// Redis key or a decision;</item>
/// <item>a status callback already handled (the same <c>I-Twilio-Idempotency-Token</c>, or the same call or conference and
/// sequence number) is answered 204 without acting again.</item>
/// </list>
/// </summary>
public sealed partial class TwilioRequests
{
    public const long MaxBodyBytes = 32 * 1024;

    /// <summary>The largest refused body still read to its end, so that the refusal reaches the client.</summary>
    private const long MaxDrainedBytes = 1024 * 1024;

    private static readonly TimeSpan RejectionLogInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RememberHandled = TimeSpan.FromMinutes(30);

    private static readonly Dictionary<string, (Func<string, bool> IsValid, string Format)> Fields = new(StringComparer.Ordinal)
    {
        ["CallSid"] = (CallSidFormat().IsMatch, "a Twilio call sid (CA and 32 lowercase hex digits)"),
        ["ParentCallSid"] = (CallSidFormat().IsMatch, "a Twilio call sid (CA and 32 lowercase hex digits)"),
        ["ConferenceSid"] = (ConferenceSidFormat().IsMatch, "a Twilio conference sid (CF and 32 lowercase hex digits)"),
        ["AccountSid"] = (AccountSidFormat().IsMatch, "a Twilio account sid (AC and 32 lowercase hex digits)"),
        // Sessions and their conferences are named after the customer's CallSid.
        ["session"] = (CallSidFormat().IsMatch, "a session id (the customer's call sid)"),
        ["FriendlyName"] = (CallSidFormat().IsMatch, "a session's conference name (the customer's call sid)"),
        ["leg"] = (LegIdFormat().IsMatch, "a leg id (12 lowercase hex digits)"),
        ["role"] = (role => Enum.GetNames<AgentRole>().Contains(role, StringComparer.Ordinal), $"one of {string.Join(", ", Enum.GetNames<AgentRole>())}"),
        ["ParticipantLabel"] = (ParticipantLabelFormat().IsMatch, "customer or an agent id"),
        ["SequenceNumber"] = (SequenceFormat().IsMatch, "a whole number"),
        ["StatusCallbackEvent"] = (EventNameFormat().IsMatch, "an event name"),
        ["CallStatus"] = (EventNameFormat().IsMatch, "a call status"),
        ["Digits"] = (DigitsFormat().IsMatch, "the keys pressed (0-9, * and #)"),
    };

    private readonly RequestDelegate _next;
    private readonly IOptions<TwilioOptions> _options;
    private readonly RequestValidator _validator;
    private readonly IConnectionMultiplexer _redis;
    private readonly CallCenterMetrics _metrics;
    private readonly ILogger<TwilioRequests> _logger;
    private readonly TimeProvider _time;
    private long _rejectedSinceLog;
    private long _nextRejectionLog;

    public TwilioRequests(RequestDelegate next, IOptions<TwilioOptions> options, IConnectionMultiplexer redis, CallCenterMetrics metrics,
        ILogger<TwilioRequests> logger, TimeProvider time)
    {
        _next = next;
        _options = options;
        _validator = new RequestValidator(options.Value.AuthToken);
        _redis = redis;
        _metrics = metrics;
        _logger = logger;
        _time = time;
    }

    public async Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        if (request.ContentLength > MaxBodyBytes)
        {
            if (!await DrainedAsync(http))
            {
                // The unread body leaves the connection unusable: the client must not send another request on it.
                http.Response.Headers.Connection = "close";
            }

            await Refuse(http, StatusCodes.Status400BadRequest, $"The request body is larger than {MaxBodyBytes} bytes.");
            return;
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // A body without a length (chunked) is cut off at the same size.
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        IFormCollection form;
        try
        {
            form = request.HasFormContentType ? await request.ReadFormAsync(http.RequestAborted) : FormCollection.Empty;
        }
        catch (Exception exception) when (exception is BadHttpRequestException or InvalidDataException)
        {
            await Refuse(http, StatusCodes.Status400BadRequest, $"The request body is not a form of at most {MaxBodyBytes} bytes.");
            return;
        }

        if (!IsSigned(request, form))
        {
            Rejected(request.Path);
            await Refuse(http, StatusCodes.Status403Forbidden, "The X-Twilio-Signature header does not match this request.");
            return;
        }

        if (FirstMalformedField(request.Query, form) is { } problem)
        {
            await Refuse(http, StatusCodes.Status400BadRequest, problem);
            return;
        }

        var handled = HandledKeys(request, form);
        if (await AnyHandledAsync(handled))
        {
            _logger.LogInformation("A repeated {Path} callback was answered without acting again", request.Path);
            http.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        await _next(http);

        if (handled.Length > 0 && http.Response.StatusCode is >= 200 and < 300)
        {
            var batch = _redis.GetDatabase().CreateBatch();
            var writes = handled.Select(key => batch.StringSetAsync(key, 1, RememberHandled)).ToArray();
            batch.Execute();
            try
            {
                await Task.WhenAll(writes);
            }
            catch (Exception exception) when (RedisFailover.IsPassing(exception))
            {
                // Handled all the same: a repeat of it would be decided again on its session, which refuses what is done.
                _logger.LogWarning(exception, "A handled {Path} callback was not remembered while Redis fails over", request.Path);
            }
        }
    }

    /// <summary>
    /// Reads and drops a refused body of at most <see cref="MaxDrainedBytes"/>: a connection closed with its request unread is
    /// reset, and the refusal is lost with it while the client is still sending.
    /// </summary>
    private static async Task<bool> DrainedAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxDrainedBytes || http.Features.Get<IHttpMaxRequestBodySizeFeature>() is not { IsReadOnly: false } limit)
        {
            return false;
        }

        limit.MaxRequestBodySize = MaxDrainedBytes;
        try
        {
            await http.Request.Body.CopyToAsync(Stream.Null, http.RequestAborted);
            return true;
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or BadHttpRequestException)
        {
            // The client went away or sent less than it said: the connection closes after the refusal.
            return false;
        }
    }

    private bool IsSigned(HttpRequest request, IFormCollection form)
    {
        var signature = request.Headers["X-Twilio-Signature"].ToString();
        if (signature.Length == 0)
        {
            return false;
        }

        // The exact text, unnormalised: the signature covers the URL as Twilio requested it.
        var url = _options.Value.Url($"{request.Path}{request.QueryString}").OriginalString;
        return _validator.Validate(url, form.ToDictionary(field => field.Key, field => field.Value.ToString()), signature);
    }

    private static string? FirstMalformedField(IQueryCollection query, IFormCollection form)
    {
        foreach (var (name, values) in query.Concat(form))
        {
            if (Fields.TryGetValue(name, out var field) && (values.Count != 1 || !field.IsValid(values[0] ?? string.Empty)))
            {
                return $"{name} must be {field.Format}.";
            }
        }

        return null;
    }

    /// <summary>
    /// What makes a status callback the same as one already handled: Twilio's idempotency token, which its retries keep, and
    /// the whole request (path, query and every form field, the call or conference and its sequence number among them) — either
    /// one seen before is a repeat. TwiML requests (incoming, agent-join, hold, wait) are answered every time: Twilio needs the TwiML.
    /// </summary>
    private static RedisKey[] HandledKeys(HttpRequest request, IFormCollection form)
    {
        if (!HttpMethods.IsPost(request.Method)
            || !(request.Path.Equals(WebhookPaths.CallStatus) || request.Path.Equals(WebhookPaths.CustomerStatus)
                || request.Path.Equals(WebhookPaths.ConferenceEvents)))
        {
            return [];
        }

        var content = $"{request.Path}{request.QueryString}?" + string.Join('&', form.OrderBy(field => field.Key, StringComparer.Ordinal)
            .Select(field => $"{field.Key}={field.Value}"));
        return request.Headers["I-Twilio-Idempotency-Token"].ToString() is { Length: > 0 } token
            ? [HandledKey($"token:{token}"), HandledKey(content)]
            : [HandledKey(content)];
    }

    private async Task<bool> AnyHandledAsync(RedisKey[] keys)
    {
        // One EXISTS per key: the keys hash to different cluster slots.
        var database = _redis.GetDatabase();
        try
        {
            var seen = await Task.WhenAll(keys.Select(key => database.KeyExistsAsync(key)));
            return seen.Any(found => found);
        }
        catch (Exception exception) when (RedisFailover.IsPassing(exception))
        {
            // Acted on as new: its session refuses it if it is a repeat, and the endpoint rides out the failover.
            _logger.LogWarning(exception, "Whether a callback was handled before is not known while Redis fails over: handled as new");
            return false;
        }
    }

    private static RedisKey HandledKey(string identity) =>
        $"wt:webhooks:handled:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))}";

    private void Rejected(PathString path)
    {
        _metrics.WebhookRejected();
        var rejected = Interlocked.Increment(ref _rejectedSinceLog);
        var now = _time.GetTimestamp();
        var next = Interlocked.Read(ref _nextRejectionLog);
        if (now >= next && Interlocked.CompareExchange(ref _nextRejectionLog, now + (long)(RejectionLogInterval.TotalSeconds * _time.TimestampFrequency), next) == next)
        {
            Interlocked.Add(ref _rejectedSinceLog, -rejected);
            _logger.LogWarning("Refused {Count} request(s) with a missing or wrong Twilio signature, the latest to {Path}", rejected, path);
        }
    }

    private static Task Refuse(HttpContext http, int statusCode, string detail) =>
        TypedResults.Problem(detail, statusCode: statusCode).ExecuteAsync(http);

    [GeneratedRegex(@"\ACA[0-9a-f]{32}\z")]
    private static partial Regex CallSidFormat();

    [GeneratedRegex(@"\ACF[0-9a-f]{32}\z")]
    private static partial Regex ConferenceSidFormat();

    [GeneratedRegex(@"\AAC[0-9a-f]{32}\z")]
    private static partial Regex AccountSidFormat();

    [GeneratedRegex(@"\A[0-9a-f]{12}\z")]
    private static partial Regex LegIdFormat();

    [GeneratedRegex(@"\A[A-Za-z0-9_]{1,64}\z")]
    private static partial Regex ParticipantLabelFormat();

    [GeneratedRegex(@"\A[0-9]{1,9}\z")]
    private static partial Regex SequenceFormat();

    [GeneratedRegex(@"\A[a-z]+(-[a-z]+)*\z")]
    private static partial Regex EventNameFormat();

    [GeneratedRegex(@"\A[0-9*#]{0,32}\z")]
    private static partial Regex DigitsFormat();
}
