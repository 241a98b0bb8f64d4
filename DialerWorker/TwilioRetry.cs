using Polly;
using Polly.Retry;
using Twilio.Exceptions;
using WarmTransfer.CallCenter.Telephony;

namespace WarmTransfer.DialerWorker;

/// <summary>How the worker retries Twilio: what may succeed later (5xx, 429 after its Retry-After, connection failures, timeouts), with exponential backoff and jitter.</summary>
public static class TwilioRetry
{
    public static ResiliencePipeline Pipeline(DialerOptions options, TimeProvider time) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.FirstRetryDelay,
                MaxDelay = MaxDelay,
                ShouldHandle = new PredicateBuilder()
                    .Handle<ApiException>(exception => exception.Status is >= 500 or 429)
                    .Handle<ApiConnectionException>()
                    .Handle<HttpRequestException>()
                    .Handle<TaskCanceledException>()
                    .Handle<TimeoutException>(),
                DelayGenerator = _ => ValueTask.FromResult(RetryAfterScope.Current?.Take()),
            })
            .Build();

    /// <summary>The longest pause between two tries.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    /// <summary>A Twilio request that failed in a way a retry may mend, or that the retries could not mend.</summary>
    public static bool IsFailure(Exception exception) =>
        exception is ApiException or ApiConnectionException or HttpRequestException or TaskCanceledException or TimeoutException;

    /// <summary>The worst case of one request with all its tries: every try timing out, every pause at its longest.</summary>
    public static TimeSpan WorstCase(DialerOptions options) =>
        options.MaxAttempts * TwilioClientRegistration.RequestTimeout + (options.MaxAttempts - 1) * MaxDelay;
}
