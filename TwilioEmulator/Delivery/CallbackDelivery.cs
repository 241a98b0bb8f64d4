using WarmTransfer.TwilioEmulator.Model;
using WarmTransfer.TwilioEmulator.Voice;

namespace WarmTransfer.TwilioEmulator.Delivery;

/// <summary>A status callback or conference event, ready to send.</summary>
public sealed record Callback(
    string Kind, string Url, string Method, IReadOnlyDictionary<string, string> Parameters, string? CallSid, string? ConferenceSid)
{
    /// <summary>Sent as <c>I-Twilio-Idempotency-Token</c> with every delivery of this callback: its retries and copies carry the same.</summary>
    public string IdempotencyToken { get; } = Guid.NewGuid().ToString();
}

/// <summary>
/// Delivers status callbacks and conference events as <see cref="DeliverySettings"/> says: in order per call and per
/// conference (the default), or the way Twilio really does — each its own request, late, out of order, sometimes lost,
/// sometimes twice. Every random choice is drawn from <see cref="SeededRandom"/> when the callback is raised, so the
/// choices follow the seed in the order the callbacks were raised.
/// </summary>
public sealed class CallbackDelivery(WebhookClient webhooks, SeededRandom random, EventLog events, TimeProvider time, ILogger<CallbackDelivery> logger)
{
    private volatile DeliverySettings _settings = DeliverySettings.Ordered;

    /// <summary>The settings in force, with the seed of the run.</summary>
    public DeliverySettings Settings => _settings with { Seed = random.Seed };

    /// <summary>Applies new settings; a seed in them restarts every random choice from it.</summary>
    public void Configure(DeliverySettings settings)
    {
        if (settings.Seed is { } seed)
        {
            random.Reseed(seed);
        }

        _settings = settings;
    }

    /// <summary>Back to ordered delivery; the seed stays.</summary>
    public void Reset() => _settings = DeliverySettings.Ordered;

    /// <summary>Sends <paramref name="callback"/>; <paramref name="stream"/> is its call's or conference's ordered queue.</summary>
    public void Send(CallbackQueue stream, Callback callback)
    {
        var settings = _settings;
        if (settings.IsOrdered)
        {
            stream.Enqueue(() => webhooks.SendAsync(callback.Kind, callback.Url, callback.Method, callback.Parameters,
                callback.CallSid, callback.ConferenceSid, CancellationToken.None, idempotencyToken: callback.IdempotencyToken));
            return;
        }

        var seed = random.Seed;
        if (settings.Lossy && random.NextDouble() < settings.DropRate)
        {
            events.Add("dropped", callback.Method, callback.Url, parameters: callback.Parameters, callSid: callback.CallSid,
                conferenceSid: callback.ConferenceSid, message: callback.Kind, delivery: "dropped", seed: seed);
            return;
        }

        var delay = settings.Concurrent ? random.Next(settings.MaxJitterMs + 1) : 0;
        int? copyDelay = settings.Duplicate && random.NextDouble() < settings.DuplicateRate
            ? delay + random.Next(settings.MaxJitterMs + 1)
            : null;
        // The original's note names every choice made for the callback, the copy's delay included.
        var original = (settings.Concurrent ? $"delayed {delay} ms" : "in order") + (copyDelay is { } copy ? $"; copy at {copy} ms" : string.Empty);
        if (settings.Concurrent)
        {
            _ = Task.Run(() => DeliverAsync(callback, delay, original, settings.Lossy, seed));
        }
        else
        {
            stream.Enqueue(() => DeliverAsync(callback, 0, original, settings.Lossy, seed));
        }

        if (copyDelay is { } later)
        {
            _ = Task.Run(() => DeliverAsync(callback, later, $"duplicate, delayed {later} ms", settings.Lossy, seed));
        }
    }

    /// <summary>One delivery, retried only as Twilio retries (a failed connection, once by default) when lossy.</summary>
    private async Task DeliverAsync(Callback callback, int delayMilliseconds, string note, bool retries, int seed)
    {
        try
        {
            if (delayMilliseconds > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(delayMilliseconds), time);
            }

            var (_, overrides) = ConnectionOverrides.Parse(callback.Url);
            var started = time.GetTimestamp();
            for (var attempt = 0; ; attempt++)
            {
                var text = attempt == 0 ? note : $"{note}, retry {attempt} of {overrides.RetryCount}";
                var response = await webhooks.SendAsync(callback.Kind, callback.Url, callback.Method, callback.Parameters,
                    callback.CallSid, callback.ConferenceSid, CancellationToken.None, new DeliveryNote(text, seed), callback.IdempotencyToken);
                if (!retries || attempt >= overrides.RetryCount || !overrides.Retries(response.Outcome)
                    || time.GetElapsedTime(started) >= overrides.TotalTime)
                {
                    return;
                }
            }
        }
        catch (Exception exception)
        {
            // Only the type is logged: the message may quote a callback URL, and URLs can carry credentials.
            logger.LogError("A callback could not be delivered ({ExceptionType})", exception.GetType().Name);
        }
    }
}
