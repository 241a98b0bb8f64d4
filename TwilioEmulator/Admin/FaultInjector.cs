using WarmTransfer.TwilioEmulator.Delivery;
using System.Collections.Concurrent;

namespace WarmTransfer.TwilioEmulator.Admin;

public enum Fault
{
    None,

    /// <summary>500 (20500) without doing anything.</summary>
    ServerError,

    /// <summary>429 (20429) without doing anything.</summary>
    TooManyRequests,

    /// <summary>The request is carried out, then answered 500 (20500) instead of its own answer.</summary>
    ActedThenServerError,

    /// <summary>The request is carried out, then its answer is held back for the rule's SlowMilliseconds.</summary>
    ActedThenSlow,
}

/// <summary>
/// Faults for one REST endpoint ("POST Calls.json"): added latency; shares of 500 and 429 answers given without acting;
/// and shares of requests carried out and then answered 500, or answered only after <paramref name="SlowMilliseconds"/>,
/// as Twilio sometimes does (a call created whose creation the client saw fail).
/// </summary>
public sealed record FaultRule(
    string Endpoint,
    int LatencyMilliseconds = 0,
    double ErrorRate = 0,
    double TooManyRequestsRate = 0,
    double ActedThenErrorRate = 0,
    double ActedThenSlowRate = 0,
    int SlowMilliseconds = 0)
{
    /// <summary>Why the rule cannot be used, or null when it can.</summary>
    public string? Problem()
    {
        double[] rates = [ErrorRate, TooManyRequestsRate, ActedThenErrorRate, ActedThenSlowRate];
        if (string.IsNullOrWhiteSpace(Endpoint))
        {
            return "endpoint (like \"POST Calls.json\") is required.";
        }

        if (LatencyMilliseconds < 0 || SlowMilliseconds < 0)
        {
            return "latencyMilliseconds and slowMilliseconds must be ≥ 0.";
        }

        if (rates.Any(rate => rate is < 0 or > 1 || double.IsNaN(rate)) || rates.Sum() > 1)
        {
            return "errorRate, tooManyRequestsRate, actedThenErrorRate and actedThenSlowRate must each be between 0 and 1, and add up to at most 1.";
        }

        return ActedThenSlowRate > 0 && SlowMilliseconds == 0 ? "actedThenSlowRate needs slowMilliseconds > 0." : null;
    }
}

/// <summary>
/// What a request to a faulty endpoint gets: latency before it is handled, a fault, and how long a slow answer is held back —
/// at most until the rules change (<paramref name="RulesChanged"/>): a rule set or cleared applies to answers held back too.
/// </summary>
public sealed record FaultDecision(TimeSpan Latency, Fault Fault, TimeSpan HoldBack, CancellationToken RulesChanged = default)
{
    public static readonly FaultDecision None = new(TimeSpan.Zero, Fault.None, TimeSpan.Zero);

    /// <summary>How the event log names the fault: "500", "429", "acted-then-500", "acted-then-slow", or null.</summary>
    public string? LogName => Fault switch
    {
        Fault.ServerError => "500",
        Fault.TooManyRequests => "429",
        Fault.ActedThenServerError => "acted-then-500",
        Fault.ActedThenSlow => "acted-then-slow",
        _ => null,
    };
}

public sealed class FaultInjector(SeededRandom random)
{
    private readonly ConcurrentDictionary<string, FaultRule> _rules = new(StringComparer.Ordinal);
    private readonly Lock _changing = new();
    private CancellationTokenSource _changed = new();

    public void Set(FaultRule rule)
    {
        _rules[rule.Endpoint] = rule;
        Changed();
    }

    public void Clear()
    {
        _rules.Clear();
        Changed();
    }

    /// <summary>Answers held back under the old rules are released.</summary>
    private void Changed()
    {
        CancellationTokenSource released;
        lock (_changing)
        {
            released = _changed;
            _changed = new CancellationTokenSource();
        }

        released.Cancel();
    }

    public IReadOnlyCollection<FaultRule> Rules => [.. _rules.Values];

    public FaultDecision Decide(string endpoint)
    {
        if (!_rules.TryGetValue(endpoint, out var rule))
        {
            return FaultDecision.None;
        }

        // One roll, laid over the rates one after another.
        var roll = Roll();
        var fault = Fault.None;
        var bound = 0.0;
        foreach (var (rate, candidate) in new[]
        {
            (rule.TooManyRequestsRate, Fault.TooManyRequests),
            (rule.ErrorRate, Fault.ServerError),
            (rule.ActedThenErrorRate, Fault.ActedThenServerError),
            (rule.ActedThenSlowRate, Fault.ActedThenSlow),
        })
        {
            bound += rate;
            if (roll < bound)
            {
                fault = candidate;
                break;
            }
        }

        CancellationToken rulesChanged;
        lock (_changing)
        {
            rulesChanged = _changed.Token;
        }

        return new FaultDecision(TimeSpan.FromMilliseconds(rule.LatencyMilliseconds), fault,
            fault == Fault.ActedThenSlow ? TimeSpan.FromMilliseconds(rule.SlowMilliseconds) : TimeSpan.Zero, rulesChanged);
    }

    /// <summary>The one random draw behind every decision, in [0, 1), from the emulator's seeded generator.</summary>
    private double Roll() => random.NextDouble();
}
