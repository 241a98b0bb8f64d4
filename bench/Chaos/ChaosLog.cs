using System.Collections.Concurrent;

namespace WarmTransfer.Benchmarks.Chaos;

/// <summary>The bench's own log of a chaos run: what its customers and agents did, and every view the agents were pushed.</summary>
public sealed class ChaosLog(TimeProvider time)
{
    private readonly ConcurrentQueue<BenchAction> _actions = new();
    private readonly ConcurrentQueue<PushedView> _views = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _notes = new(StringComparer.Ordinal);

    public DateTimeOffset Now => time.GetUtcNow();

    public IReadOnlyList<BenchAction> Actions => [.. _actions];

    public IReadOnlyList<PushedView> Views => [.. _views];

    /// <summary>Things about the run worth saying once (a fault the emulator does not offer, a fallback taken).</summary>
    public IReadOnlyList<string> Notes => [.. _notes.OrderBy(n => n.Value).Select(n => n.Key)];

    /// <param name="at">When it was done, if not now (a button is logged when pressed, with the answer that came later).</param>
    public void Act(string actor, string action, string? callSid = null, string? conference = null, string? detail = null, DateTimeOffset? at = null) =>
        _actions.Enqueue(new BenchAction(at ?? Now, actor, action, callSid, conference, detail));

    public void Pushed(string agentId, ReceivedView view) => _views.Enqueue(new PushedView(view.At, agentId, view.View));

    /// <summary>Notes a fact once, and says it on the console the first time.</summary>
    public void Note(string note)
    {
        if (_notes.TryAdd(note, Now))
        {
            Progress.Report(Scenarios.ChaosScenario.Name, note);
        }
    }
}
