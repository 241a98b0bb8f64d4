using System.ComponentModel.DataAnnotations;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>How the work queues' messages are retried and how much the outbox may hold (section <c>Messaging</c>).</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>
    /// How many times a message is tried before it is given up on: a consumer's failures before the message is dead-lettered,
    /// an outbox entry's failures (while the ones behind it go through) before it is set aside.
    /// </summary>
    [Range(1, 100)]
    public int DeliveryLimit { get; set; } = 5;

    /// <summary>The wait before a failed message is tried again; each next wait doubles, up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The most messages the Redis outbox keeps while the broker refuses them. A publish the broker refused when the outbox is
    /// full fails (with a critical log) instead of growing Redis without bound.
    /// </summary>
    [Range(1, 10_000_000)]
    public int OutboxLimit { get; set; } = 100_000;

    /// <summary>The dead-letter queue's depth at which a consumer that dead-letters a message logs a critical alert.</summary>
    [Range(1, 10_000_000)]
    public int DeadLetterAlertLength { get; set; } = 10_000;

    /// <summary>The wait before the <paramref name="attempt"/>th retry (the first is 1).</summary>
    public TimeSpan RetryDelayBefore(int attempt)
    {
        var delay = RetryDelay * Math.Pow(2, Math.Clamp(attempt - 1, 0, 20));
        return delay < MaxRetryDelay ? delay : MaxRetryDelay;
    }
}
