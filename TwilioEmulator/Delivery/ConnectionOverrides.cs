using System.Globalization;

namespace WarmTransfer.TwilioEmulator.Delivery;

/// <summary>
/// Twilio's connection overrides, given in a webhook URL's fragment (<c>https://example.com/cb#rc=2&amp;rp=ct,rt&amp;ct=1000</c>):
/// retry count <c>rc</c> (default 1, at most 5), retry policy <c>rp</c> (<c>ct</c> connection failure — the default —,
/// <c>rt</c> read timeout, <c>4xx</c>, <c>5xx</c>, <c>all</c>), connect timeout <c>ct</c> (ms, default 5000), read timeout
/// <c>rt</c> (ms; without it the emulator's <c>WebhookTimeout</c>, 15 s by default) and total time <c>tt</c> (ms, default
/// 15000: no retry starts after it); the times are brought into Twilio's ranges (100 ms up to 10 s, 15 s, 15 s). The
/// fragment is never sent or signed.
/// </summary>
public sealed record ConnectionOverrides(
    int RetryCount, IReadOnlySet<string> RetryPolicy, TimeSpan ConnectTimeout, TimeSpan? ReadTimeout, TimeSpan TotalTime)
{
    public const int MaxRetryCount = 5;

    public static readonly ConnectionOverrides Default = new(1, new HashSet<string>(["ct"], StringComparer.Ordinal),
        TimeSpan.FromSeconds(5), ReadTimeout: null, TimeSpan.FromSeconds(15));

    /// <summary>The URL without its fragment, and the overrides the fragment gives (defaults for what it leaves out).</summary>
    public static (string Url, ConnectionOverrides Overrides) Parse(string url)
    {
        var hash = url.IndexOf('#', StringComparison.Ordinal);
        if (hash < 0)
        {
            return (url, Default);
        }

        var overrides = Default;
        foreach (var pair in url[(hash + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = pair.IndexOf('=', StringComparison.Ordinal) is var equals and >= 0
                ? (pair[..equals], pair[(equals + 1)..])
                : (pair, string.Empty);
            overrides = key switch
            {
                "rc" when int.TryParse(value, CultureInfo.InvariantCulture, out var count) =>
                    overrides with { RetryCount = Math.Clamp(count, 0, MaxRetryCount) },
                "rp" => overrides with
                {
                    RetryPolicy = value.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal),
                },
                "ct" when Milliseconds(value, 10_000) is { } connect => overrides with { ConnectTimeout = connect },
                "rt" when Milliseconds(value, 15_000) is { } read => overrides with { ReadTimeout = read },
                "tt" when Milliseconds(value, 15_000) is { } total => overrides with { TotalTime = total },
                _ => overrides,
            };
        }

        return (url[..hash], overrides);
    }

    /// <summary>Whether an attempt that ended this way is tried again under the retry policy.</summary>
    public bool Retries(WebhookOutcome outcome) =>
        RetryPolicy.Contains("all") && outcome != WebhookOutcome.Answered2xx
        || outcome switch
        {
            WebhookOutcome.ConnectionFailed => RetryPolicy.Contains("ct"),
            WebhookOutcome.ReadTimeout => RetryPolicy.Contains("rt"),
            WebhookOutcome.Answered4xx => RetryPolicy.Contains("4xx"),
            WebhookOutcome.Answered5xx => RetryPolicy.Contains("5xx"),
            _ => false,
        };

    /// <summary>Twilio takes 100 ms up to the limit; a value outside is brought into that range.</summary>
    private static TimeSpan? Milliseconds(string value, int most) =>
        int.TryParse(value, CultureInfo.InvariantCulture, out var ms) ? TimeSpan.FromMilliseconds(Math.Clamp(ms, 100, most)) : null;
}

/// <summary>How one webhook attempt ended.</summary>
public enum WebhookOutcome
{
    Answered2xx,
    Answered4xx,
    Answered5xx,
    AnsweredOther,

    /// <summary>No connection was made: refused, unreachable, or not within the connect timeout.</summary>
    ConnectionFailed,

    /// <summary>Connected, but no answer came within the read timeout.</summary>
    ReadTimeout,

    /// <summary>Connected, and the exchange broke off before a whole answer came.</summary>
    Broken,

    /// <summary>The URL could not be sent to at all.</summary>
    NotSent,
}
