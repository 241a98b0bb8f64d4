using System.Collections.Concurrent;

namespace WarmTransfer.TwilioEmulator.Model;

/// <summary>How a headless participant answers: answer (after a delay), never, reject, busy or fail.</summary>
public sealed record AnswerRule(string Action, int AfterMilliseconds = 0)
{
    public static readonly IReadOnlySet<string> Actions = new HashSet<string>(StringComparer.Ordinal)
    {
        "answer", "never", "reject", "busy", "fail",
    };
}

/// <summary>Answer rules per target (<c>client:agent1</c> or an E.164 number), set through the admin API.</summary>
public sealed class AnswerRules
{
    private readonly ConcurrentDictionary<string, AnswerRule> _rules = new(StringComparer.Ordinal);

    public void Set(string target, AnswerRule rule) => _rules[target] = rule;

    public bool Remove(string target) => _rules.TryRemove(target, out _);

    public AnswerRule? Find(string target) => _rules.GetValueOrDefault(target);

    public IReadOnlyDictionary<string, AnswerRule> All => _rules.ToDictionary(pair => pair.Key, pair => pair.Value);
}
