using System.Collections.Concurrent;

namespace WarmTransfer.TwilioEmulator.Admin;

public enum Fault
{
    None,
    ServerError,
    TooManyRequests,
}

/// <summary>Faults for one REST endpoint ("POST Calls.json"): added latency, and shares of 500 and 429 answers.</summary>
public sealed record FaultRule(string Endpoint, int LatencyMilliseconds = 0, double ErrorRate = 0, double TooManyRequestsRate = 0);

public sealed class FaultInjector
{
    private readonly ConcurrentDictionary<string, FaultRule> _rules = new(StringComparer.Ordinal);

    public void Set(FaultRule rule) => _rules[rule.Endpoint] = rule;

    public void Clear() => _rules.Clear();

    public IReadOnlyCollection<FaultRule> Rules => [.. _rules.Values];

    public (TimeSpan Delay, Fault Fault) Decide(string endpoint)
    {
        if (!_rules.TryGetValue(endpoint, out var rule))
        {
            return (TimeSpan.Zero, Fault.None);
        }

        var roll = Random.Shared.NextDouble();
        var fault = roll < rule.TooManyRequestsRate ? Fault.TooManyRequests
            : roll < rule.TooManyRequestsRate + rule.ErrorRate ? Fault.ServerError
            : Fault.None;
        return (TimeSpan.FromMilliseconds(rule.LatencyMilliseconds), fault);
    }
}
