using System.Globalization;

namespace WarmTransfer.Testing.Chaos;

/// <summary>One time an invariant did not hold.</summary>
/// <param name="At">When it was seen to break.</param>
/// <param name="CallSid">The customer's call (or the agent's leg) it is about.</param>
/// <param name="Timeline">What happened around it, oldest first, times from the start of the run.</param>
public sealed record Violation(string Invariant, DateTimeOffset At, string? CallSid, string? AgentId, string What, IReadOnlyList<string> Timeline);

/// <param name="Rule">What never happens.</param>
/// <param name="Examples">The first three violations, with their timelines.</param>
public sealed record InvariantResult(string Id, string Rule, int Count, IReadOnlyList<Violation> Examples);

/// <summary>Every invariant's count for one run.</summary>
public sealed record ChaosVerdict(int Seed, IReadOnlyList<InvariantResult> Invariants)
{
    public int Violations => Invariants.Sum(i => i.Count);

    /// <summary>The run's last line: <c>chaos: N violations (seed S)</c>.</summary>
    public string Summary => $"chaos: {Violations} violations (seed {Seed})";
}

/// <summary>
/// Checks a chaos run's recording against the product's promises (ARCHITECTURE.md, "Invariants"). Pure: it reads the
/// recording and nothing else. Each invariant is defined precisely on its method below. The checker judges only what it
/// can see: state is sampled (snapshots a fraction of a second apart), so a run of bad snapshots is measured from the
/// first to the last bad one — a lower bound of how long it lasted, never more.
/// </summary>
public static class InvariantChecker
{
    public static readonly TimeSpan SilenceLimit = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan StuckLimit = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan GoneLimit = TimeSpan.FromSeconds(10);

    public static readonly IReadOnlyList<(string Id, string Rule)> Rules =
    [
        ("I1", "a customer's call ends although the customer did not hang up and no agent pressed End call"),
        ("I2", "a connected customer hears silence (no agent with them and no wait/hold music) for more than 2 s"),
        ("I3", "an agent's routing status stays ringing or in-call with no live leg of theirs for more than 30 s"),
        ("I4", "one offer or transfer rings an agent twice"),
        ("I5", "a caller waits while an agent with a live page and softphone is available, for more than 5 s"),
        ("I6", "an agent is offered a call while their page or softphone has been gone for more than 10 s"),
        ("I7", "more call creations reach Twilio in one second than the calls-per-second budget"),
        ("I8", "a customer who did not hang up is still without an agent when the run ends and the line is empty"),
    ];

    private const int ExamplesKept = 3;

    public static ChaosVerdict Check(ChaosRecording recording)
    {
        var run = new RunIndex(recording);
        var found = new Dictionary<string, List<Violation>>
        {
            ["I1"] = CutOff(run),
            ["I2"] = Silence(run),
            ["I3"] = StuckAgents(run),
            ["I4"] = RungTwice(run),
            ["I5"] = WaitingWhileAgentsAvailable(run),
            ["I6"] = OfferedToGhosts(run),
            ["I7"] = OverBudget(run),
            ["I8"] = LeftWithoutAgent(run),
        };

        return new ChaosVerdict(recording.Seed, [.. Rules.Select(rule =>
        {
            var violations = found[rule.Id].OrderBy(v => v.At).ToList();
            return new InvariantResult(rule.Id, rule.Rule, violations.Count,
                [.. violations.Take(ExamplesKept).Select(v => v with { Timeline = run.Timeline(v) })]);
        })]);
    }

    /// <summary>
    /// I1. A customer is a call the bench placed (<see cref="BenchActions.CustomerCalled"/>). Their call ends at the
    /// emulator's <c>call</c> event "ended: …" for it (or, if that event was never read, at the first snapshot that no
    /// longer shows it live). It is a violation when that end is within the run and neither the customer hung up
    /// (<see cref="BenchActions.CustomerHungUp"/>) nor an agent pressed End call for their conference
    /// (<see cref="BenchActions.EndCallPressed"/>, whatever the portal answered) at or before the end.
    /// </summary>
    private static List<Violation> CutOff(RunIndex run)
    {
        var violations = new List<Violation>();
        foreach (var customer in run.Customers)
        {
            if (run.CallEnd(customer) is not { } end || end.At > run.Recording.Ended)
            {
                continue;
            }

            var hungUp = run.HangUps.TryGetValue(customer, out var h) && h <= end.At;
            var ended = run.EndPresses.TryGetValue(customer, out var e) && e <= end.At;
            if (!hungUp && !ended)
            {
                violations.Add(new Violation("I1", end.At, customer, null,
                    $"the customer's call ended ({end.How}) with no hang-up and no End call", []));
            }
        }

        return violations;
    }

    /// <summary>
    /// I2. In a snapshot, a customer is in silence when their participant is connected and either hears <c>silence</c>, or
    /// hears the conference while no other participant is connected and off hold (nobody to talk to, no music). A run of
    /// consecutive snapshots in which the customer is in silence is a violation when its first and last snapshots are more
    /// than 2 s apart. Each such run counts once.
    /// </summary>
    private static List<Violation> Silence(RunIndex run) =>
        [.. run.Customers.SelectMany(customer => run.Runs(snapshot => InSilence(snapshot, customer), SilenceLimit)
            .Select(span => new Violation("I2", span.From, customer, null,
                $"the connected customer heard silence for at least {Seconds(span.Length)}", [])))];

    private static bool InSilence(StateSnapshot snapshot, string customer)
    {
        foreach (var conference in snapshot.Conferences)
        {
            foreach (var participant in conference.Participants)
            {
                if (participant.CallSid == customer && participant.IsConnected
                    && (participant.Audio == "silence"
                        || participant.Audio == "conference" && !conference.Participants.Any(other => other != participant && other.IsConnected && !other.Hold)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// I3. An agent's routing status is the status of the last view the portal pushed to them, known only while their page is
    /// open (from the first view after it opened until it closes). In a snapshot the agent is stuck when that status is
    /// ringing or in-call and the snapshot shows no live call (queued, ringing or in progress) to <c>client:{agent}</c>. A run
    /// of consecutive snapshots in which the agent is stuck is a violation when it spans more than 30 s; each run counts once.
    /// </summary>
    private static List<Violation> StuckAgents(RunIndex run) =>
        [.. run.Agents.SelectMany(agent => run.Runs(snapshot =>
                run.StatusAt(agent, snapshot.At) is AgentStatuses.Ringing or AgentStatuses.InCall
                && !snapshot.Calls.Any(call => call.ClientIdentity == agent && call.IsLive), StuckLimit)
            .Select(span => new Violation("I3", span.From, null, agent,
                $"{agent} stayed {run.StatusAt(agent, span.From)} with no live leg for at least {Seconds(span.Length)}", [])))];

    /// <summary>
    /// I4. An offer is one dial request: a <c>POST Calls.json</c> to <c>client:{agent}</c> that reached Twilio — answered 2xx,
    /// or failed after Twilio acted (its fault names "acted"). Its key is the agent, the customer's conference, the role and
    /// the dial request id, all read from the status callback URL the dialer gives (<c>conference</c>, <c>role</c>,
    /// <c>request</c>; a creation without a request id shares the key of every other one for that agent, conference and
    /// role). Two or more creations with the same key are one violation, at the second.
    /// </summary>
    private static List<Violation> RungTwice(RunIndex run) =>
        [.. run.Offers.GroupBy(offer => (offer.AgentId, offer.Conference, offer.Role, offer.Request))
            .Where(group => group.Count() > 1)
            .Select(group =>
            {
                var rings = group.OrderBy(o => o.At).ToList();
                return new Violation("I4", rings[1].At, group.Key.Conference, group.Key.AgentId,
                    $"{group.Key.AgentId} was rung {rings.Count} times for one {group.Key.Role ?? "offer"} (request {group.Key.Request ?? "none"})", []);
            })];

    /// <summary>
    /// I5. In a snapshot a customer waits when their participant is connected, no other participant of their conference is
    /// connected, and no call to an agent for their conference (its status callback's <c>conference</c>) is live. An agent is
    /// available and live when their routing status (as for I3) is available, their page is open and their softphone is
    /// registered (from the bench's own log). A run of consecutive snapshots in which the customer waits while at least one
    /// such agent exists is a violation when it spans more than 5 s; each run counts once.
    /// </summary>
    private static List<Violation> WaitingWhileAgentsAvailable(RunIndex run) =>
        [.. run.Customers.SelectMany(customer => run.Runs(snapshot => Waits(snapshot, customer) && run.AvailableAndLive(snapshot.At).Any(), WaitLimit)
            .Select(span => new Violation("I5", span.From, customer, null,
                $"the caller waited at least {Seconds(span.Length)} while {Agents(run.AvailableAndLive(span.From))} available", [])))];

    private static string Agents(IReadOnlyList<string> agents) =>
        agents.Count == 1 ? $"{agents[0]} was" : $"{string.Join(", ", agents.Take(3))}{(agents.Count > 3 ? " and others" : "")} were";

    private static bool Waits(StateSnapshot snapshot, string customer)
    {
        var connected = false;
        foreach (var conference in snapshot.Conferences)
        {
            if (conference.Participants.Any(p => p.CallSid == customer && p.IsConnected))
            {
                connected = true;
                if (conference.Participants.Any(p => p.CallSid != customer && p.IsConnected))
                {
                    return false;
                }
            }
        }

        return connected && !snapshot.Calls.Any(call => call.ClientIdentity is not null && call.IsLive && call.CallbackParameter("session") == customer);
    }

    /// <summary>
    /// I6. For every offer (as for I4), at the moment it reached Twilio: the agent's page has been closed, or their softphone
    /// unregistered, for more than 10 s without coming back (from the bench's own log; before an agent's page first opens it
    /// counts as closed since the run started). Each such offer is a violation.
    /// </summary>
    private static List<Violation> OfferedToGhosts(RunIndex run)
    {
        var violations = new List<Violation>();
        foreach (var offer in run.Offers.Where(o => run.Agents.Contains(o.AgentId)))
        {
            var page = run.PageGoneSince(offer.AgentId, offer.At);
            var softphone = run.SoftphoneGoneSince(offer.AgentId, offer.At);
            var gone = new[] { ("page", page), ("softphone", softphone) }
                .Where(g => g.Item2 is { } since && offer.At - since > GoneLimit)
                .Select(g => $"{g.Item1} gone for {Seconds(offer.At - g.Item2!.Value)}")
                .ToList();
            if (gone.Count > 0)
            {
                violations.Add(new Violation("I6", offer.At, offer.Conference, offer.AgentId,
                    $"{offer.AgentId} was offered a call with their {string.Join(" and ", gone)}", []));
            }
        }

        return violations;
    }

    /// <summary>
    /// I7. Call creations that reached Twilio (as for I4, to any destination) counted per whole UTC second of their arrival
    /// (as Twilio counts calls per second); each second with more than the budget is a violation.
    /// </summary>
    private static List<Violation> OverBudget(RunIndex run) =>
        [.. run.Creations.GroupBy(at => new DateTimeOffset(at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero))
            .Where(second => second.Count() > run.Recording.CallsPerSecondBudget)
            .Select(second => new Violation("I7", second.Key, null, null,
                $"{second.Count()} call creations reached Twilio in the second from {second.Key:HH:mm:ss}, over the budget of {run.Recording.CallsPerSecondBudget}", []))];

    /// <summary>
    /// I8. The run ends once the line is empty: no new customer since <see cref="ChaosRecording.LineClosed"/>, every agent back
    /// and serving, until no customer call is live or the drain's time is up. In the last snapshot, a customer who never hung
    /// up, whose call is still live, and who has no other participant connected in their conference is a violation.
    /// </summary>
    private static List<Violation> LeftWithoutAgent(RunIndex run)
    {
        if (run.Recording.Snapshots.Count == 0 || run.Recording.Snapshots[^1] is not { } last || last.At < run.Recording.LineClosed)
        {
            return [];
        }

        return [.. run.Customers
            .Where(customer => !run.HangUps.ContainsKey(customer) && last.Calls.Any(call => call.Sid == customer && call.IsLive))
            .Where(customer => !last.Conferences.Any(conference => conference.Participants.Any(p => p.CallSid == customer)
                && conference.Participants.Any(p => p.CallSid != customer && p.IsConnected)))
            .Select(customer => new Violation("I8", last.At, customer, null,
                $"the customer was still without an agent {Seconds(last.At - run.Recording.LineClosed)} after the line closed", []))];
    }

    /// <summary>"3.5 s".</summary>
    public static string Seconds(TimeSpan span) => $"{span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s";
}
