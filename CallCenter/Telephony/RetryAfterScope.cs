namespace WarmTransfer.CallCenter.Telephony;

/// <summary>
/// Catches the Retry-After header of the Twilio requests made while it is open, so a retry can wait as long as Twilio asked:
/// open one around the retries (<c>using var scope = RetryAfterScope.Begin();</c>) and <see cref="Take"/> it before each delay.
/// </summary>
public sealed class RetryAfterScope : IDisposable
{
    private static readonly AsyncLocal<RetryAfterScope?> CurrentScope = new();

    private RetryAfterScope()
    {
    }

    internal TimeSpan? RetryAfter { get; set; }

    /// <summary>The scope open in this flow, if any.</summary>
    public static RetryAfterScope? Current => CurrentScope.Value;

    /// <summary>What the last answer asked for, once: a later failure without the header backs off as usual.</summary>
    public TimeSpan? Take()
    {
        var retryAfter = RetryAfter;
        RetryAfter = null;
        return retryAfter;
    }

    public static RetryAfterScope Begin() => CurrentScope.Value = new RetryAfterScope();

    public void Dispose() => CurrentScope.Value = null;
}
