using System.Collections.Concurrent;
using System.Diagnostics;

namespace WarmTransfer.Benchmarks.Chaos;

/// <summary>
/// Customers calling the support line at a steady rate, each with a plan drawn from the run's seed when they call: never hang
/// up, hang up after a random time, or hang up a moment after they are first seen waiting, ringing an agent, talking, on
/// hold or in a transfer (read from the emulator's state snapshots).
/// </summary>
public sealed class ChaosCustomers(EmulatorAdmin emulator, ChaosLog log, CustomerBehaviour behaviour, int seed)
{
    public const string Waiting = "waiting";
    public const string Ringing = "ringing";
    public const string Talking = "talking";
    public const string OnHold = "on hold";
    public const string InTransfer = "in a transfer";

    private readonly Random _random = new(seed);
    private readonly ConcurrentDictionary<string, Plan> _plans = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _hungUp = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Task> _pending = [];
    private readonly CancellationTokenSource _stopping = new();
    private StateSnapshot? _latest;

    public int Called => _plans.Count;

    public int HungUp => _hungUp.Count;

    public IReadOnlyCollection<string> CallSids => [.. _plans.Keys];

    /// <summary>Customers call at <paramref name="rate"/> a second for <paramref name="duration"/> (call i at start + i / rate).</summary>
    public async Task CallAsync(double rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        var count = Math.Max(1, (long)Math.Round(rate * duration.TotalSeconds));
        var start = Stopwatch.GetTimestamp();
        for (long i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / rate) - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, cancellationToken);
            }

            var plan = NewPlan();
            string callSid;
            try
            {
                callSid = await emulator.CallSupportLineAsync(IncomingCallWebhook.Number(i), cancellationToken);
            }
            catch (HttpRequestException exception)
            {
                log.Note($"a customer could not call: {exception.Message}");
                continue;
            }

            _plans[callSid] = plan;
            log.Act(callSid, BenchActions.CustomerCalled, callSid, detail: plan.ToString());
            if (plan.Phase is null && plan.Delay is { } delay)
            {
                _pending.Add(HangUpLaterAsync(callSid, delay, $"after {InvariantChecker.Seconds(delay)}"));
            }
        }
    }

    /// <summary>Customers waiting for a moment of their call hang up a little after it comes.</summary>
    public void Saw(StateSnapshot snapshot)
    {
        _latest = snapshot;
        foreach (var (callSid, plan) in _plans)
        {
            if (plan.Phase is { } phase && !plan.Triggered && !_hungUp.ContainsKey(callSid) && PhaseOf(snapshot, callSid) == phase)
            {
                plan.Triggered = true;
                _pending.Add(HangUpLaterAsync(callSid, plan.Delay!.Value, $"while {phase}"));
            }
        }
    }

    /// <summary>How many customers are live in the snapshot, and how many of them wait for an agent.</summary>
    public (int Live, int Waiting) Count(StateSnapshot snapshot) =>
        (_plans.Keys.Count(sid => snapshot.Calls.Any(c => c.Sid == sid)), _plans.Keys.Count(sid => PhaseOf(snapshot, sid) == Waiting));

    /// <summary>The run is over: hang-ups still to come are not made.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_pending);
        }
        catch (OperationCanceledException)
        {
            // The run ended first.
        }

        _stopping.Dispose();
    }

    /// <summary>Where the customer is in their call, as the emulator's state shows it; null when they are not connected.</summary>
    public static string? PhaseOf(StateSnapshot snapshot, string callSid)
    {
        var conference = snapshot.Conferences.FirstOrDefault(c => c.Participants.Any(p => p.CallSid == callSid && p.IsConnected));
        if (conference is null)
        {
            return null;
        }

        var customer = conference.Participants.First(p => p.CallSid == callSid && p.IsConnected);
        var agents = conference.Participants.Count(p => p.CallSid != callSid && p.IsConnected);
        var ringing = snapshot.Calls.Count(c => c.ClientIdentity is not null && c.Status is "queued" or "ringing" && c.CallbackParameter("session") == callSid);
        return customer.Hold ? OnHold
            : agents >= 2 || agents == 1 && ringing > 0 ? InTransfer
            : agents == 1 ? Talking
            : ringing > 0 ? Ringing
            : Waiting;
    }

    private Plan NewPlan()
    {
        var choices = new (string? Phase, bool Random, int Weight)[]
        {
            (null, false, behaviour.Never), (null, true, behaviour.AtRandomTime), (Waiting, false, behaviour.WhileWaiting),
            (Ringing, false, behaviour.WhileRinging), (Talking, false, behaviour.WhileTalking), (OnHold, false, behaviour.OnHold),
            (InTransfer, false, behaviour.DuringTransfer),
        };
        var roll = _random.Next(choices.Sum(c => c.Weight));
        var chosen = choices[0];
        foreach (var choice in choices)
        {
            if (roll < choice.Weight)
            {
                chosen = choice;
                break;
            }

            roll -= choice.Weight;
        }

        return chosen switch
        {
            { Random: true } => new Plan(null, behaviour.Patience.Next(_random)),
            { Phase: { } phase } => new Plan(phase, behaviour.PhaseDelay.Next(_random)),
            _ => new Plan(null, null),
        };
    }

    private async Task HangUpLaterAsync(string callSid, TimeSpan delay, string reason)
    {
        var cancellationToken = _stopping.Token;
        await Task.Delay(delay, cancellationToken);
        // A customer whose call already ended has nobody to hang up on.
        if (_latest is { } latest && !latest.Calls.Any(c => c.Sid == callSid) || !_hungUp.TryAdd(callSid, reason))
        {
            return;
        }

        log.Act(callSid, BenchActions.CustomerHungUp, callSid, detail: reason);
        try
        {
            await emulator.HangUpAsync(callSid, cancellationToken);
        }
        catch (HttpRequestException)
        {
            // Ended meanwhile.
        }
    }

    /// <param name="Phase">The moment the customer hangs up in, or null.</param>
    /// <param name="Delay">How long after that moment (or after calling, with no phase); null: never.</param>
    private sealed record Plan(string? Phase, TimeSpan? Delay)
    {
        public bool Triggered { get; set; }

        public override string ToString() => (Phase, Delay) switch
        {
            (null, null) => "will not hang up",
            (null, { } delay) => $"hangs up after {InvariantChecker.Seconds(delay)}",
            ({ } phase, { } delay) => $"hangs up {InvariantChecker.Seconds(delay)} after first seen {phase}",
            _ => "?",
        };
    }
}
