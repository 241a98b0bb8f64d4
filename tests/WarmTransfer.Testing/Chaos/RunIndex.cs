using System.Globalization;

namespace WarmTransfer.Testing.Chaos;

/// <summary>
/// A call to an agent that reached Twilio: when it arrived, the agent, and the customer's conference, role and dial request
/// its status callback names.
/// </summary>
internal sealed record Offer(DateTimeOffset At, string AgentId, string? Conference, string? Role, string? Request);

/// <summary>A run of consecutive snapshots for which something held, from the first to the last of them.</summary>
internal readonly record struct Span(DateTimeOffset From, DateTimeOffset To)
{
    public TimeSpan Length => To - From;
}

/// <summary>The recording, indexed for the questions the invariants ask.</summary>
internal sealed class RunIndex
{
    private const int TimelineLines = 14;

    private readonly Dictionary<string, List<(DateTimeOffset At, AgentView View)>> _views;
    private readonly Dictionary<string, List<(DateTimeOffset At, bool Live)>> _pages;
    private readonly Dictionary<string, List<(DateTimeOffset At, bool Live)>> _softphones;
    private readonly Dictionary<string, (DateTimeOffset At, string How)> _callEnds = new(StringComparer.Ordinal);
    private readonly Dictionary<DateTimeOffset, List<string>> _availableAt = [];

    public RunIndex(ChaosRecording recording)
    {
        Recording = recording;
        var actions = recording.Actions.OrderBy(a => a.At).ToList();
        Customers = [.. actions.Where(a => a.Action == BenchActions.CustomerCalled && a.CallSid is not null).Select(a => a.CallSid!).Distinct()];
        HangUps = Earliest(actions.Where(a => a.Action == BenchActions.CustomerHungUp).Select(a => (a.CallSid ?? a.Actor, a.At)));
        EndPresses = Earliest(actions.Where(a => a.Action == BenchActions.EndCallPressed && a.Conference is not null).Select(a => (a.Conference!, a.At)));
        _pages = Liveness(actions, BenchActions.PageOpen, BenchActions.PageGone);
        _softphones = Liveness(actions, BenchActions.SoftphoneRegistered, BenchActions.SoftphoneGone);
        Agents = new HashSet<string>(_pages.Keys, StringComparer.Ordinal);
        _views = recording.Views.GroupBy(v => v.AgentId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(v => v.At).Select(v => (v.At, v.View)).ToList(), StringComparer.Ordinal);

        foreach (var e in recording.Events.Where(e => e.Kind == "call" && e.CallSid is not null && e.Message?.StartsWith("ended", StringComparison.Ordinal) == true))
        {
            _callEnds.TryAdd(e.CallSid!, (e.Timestamp, e.Message!));
        }

        // A call seen live and then no longer: ended by the first snapshot that does not show it, if its event was not read.
        var lastSeen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < recording.Snapshots.Count; i++)
        {
            foreach (var call in recording.Snapshots[i].Calls)
            {
                lastSeen[call.Sid] = i;
            }
        }

        foreach (var (sid, index) in lastSeen)
        {
            if (index + 1 < recording.Snapshots.Count)
            {
                _callEnds.TryAdd(sid, (recording.Snapshots[index + 1].At, "no longer live"));
            }
        }

        foreach (var e in recording.Events)
        {
            if (e is { Kind: "rest", Message: "POST Calls.json" } && ReachedTwilio(e))
            {
                Creations.Add(e.Timestamp);
                if (e.Parameter("To") is { } to && to.StartsWith("client:", StringComparison.Ordinal))
                {
                    var callback = e.Parameter("StatusCallback");
                    Offers.Add(new Offer(e.Timestamp, to["client:".Length..], EmulatorEvent.CallbackQuery(callback, "session"),
                        EmulatorEvent.CallbackQuery(callback, "role"), EmulatorEvent.CallbackQuery(callback, "leg")));
                }
            }
        }
    }

    public ChaosRecording Recording { get; }

    /// <summary>The customers' call SIDs, in the order they called.</summary>
    public IReadOnlyList<string> Customers { get; }

    /// <summary>The bench's agents: every agent whose page was ever open.</summary>
    public IReadOnlySet<string> Agents { get; }

    /// <summary>When each customer first hung up.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> HangUps { get; }

    /// <summary>When End call was first pressed for each conference.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> EndPresses { get; }

    public List<Offer> Offers { get; } = [];

    /// <summary>When each call creation that reached Twilio arrived.</summary>
    public List<DateTimeOffset> Creations { get; } = [];

    /// <summary>A REST request Twilio acted on: answered 2xx, or failed after acting.</summary>
    public static bool ReachedTwilio(EmulatorEvent e) =>
        e.StatusCode is >= 200 and < 300 || e.Fault?.Contains("acted", StringComparison.OrdinalIgnoreCase) == true;

    public (DateTimeOffset At, string How)? CallEnd(string callSid) => _callEnds.TryGetValue(callSid, out var end) ? end : null;

    /// <summary>The agent's routing status at <paramref name="at"/> as their page shows it; null while their page is closed.</summary>
    public string? StatusAt(string agentId, DateTimeOffset at)
    {
        if (!_pages.TryGetValue(agentId, out var page) || Latest(page, at) is not { Value: true } open
            || !_views.TryGetValue(agentId, out var views) || Latest(views, at) is not { } view || view.At < open.At)
        {
            return null;
        }

        return view.Value.Agent.Status;
    }

    /// <summary>The agents available at <paramref name="at"/> with their page open and their softphone registered.</summary>
    public IReadOnlyList<string> AvailableAndLive(DateTimeOffset at)
    {
        if (!_availableAt.TryGetValue(at, out var available))
        {
            available = [.. Agents.Order(StringComparer.Ordinal).Where(agent => StatusAt(agent, at) == AgentStatuses.Available
                && PageGoneSince(agent, at) is null && SoftphoneGoneSince(agent, at) is null)];
            _availableAt[at] = available;
        }

        return available;
    }

    /// <summary>Since when the agent's page has been closed at <paramref name="at"/>; null while it is open.</summary>
    public DateTimeOffset? PageGoneSince(string agentId, DateTimeOffset at) => GoneSince(_pages, agentId, at);

    /// <summary>Since when the agent's softphone has been gone at <paramref name="at"/>; null while it is registered.</summary>
    public DateTimeOffset? SoftphoneGoneSince(string agentId, DateTimeOffset at) => GoneSince(_softphones, agentId, at);

    private DateTimeOffset? GoneSince(Dictionary<string, List<(DateTimeOffset At, bool Live)>> timelines, string agentId, DateTimeOffset at)
    {
        if (!timelines.TryGetValue(agentId, out var timeline))
        {
            return Recording.Started;
        }

        var index = LatestIndex(timeline, at);
        if (index < 0)
        {
            return Recording.Started;
        }

        return timeline[index].Live ? null : timeline[index].At;
    }

    /// <summary>The runs of consecutive snapshots for which <paramref name="holds"/> is true, longer than <paramref name="limit"/>.</summary>
    public IEnumerable<Span> Runs(Func<StateSnapshot, bool> holds, TimeSpan limit)
    {
        DateTimeOffset? first = null;
        DateTimeOffset last = default;
        foreach (var snapshot in Recording.Snapshots)
        {
            if (holds(snapshot))
            {
                first ??= snapshot.At;
                last = snapshot.At;
                continue;
            }

            if (first is { } from && last - from > limit)
            {
                yield return new Span(from, last);
            }

            first = null;
        }

        if (first is { } open && last - open > limit)
        {
            yield return new Span(open, last);
        }
    }

    /// <summary>
    /// What happened around a violation, up to a minute before it: the bench's actions, the agents' views, who the customer
    /// was with and heard (from the snapshots), and the emulator's events about its call or agent.
    /// </summary>
    public IReadOnlyList<string> Timeline(Violation violation)
    {
        var key = violation.CallSid;
        var agent = violation.AgentId;
        var lines = new List<(DateTimeOffset At, string Text)>();
        if (violation.Invariant == "I7")
        {
            var second = violation.At;
            lines.AddRange(Recording.Events.Where(e => e is { Kind: "rest", Message: "POST Calls.json" } && e.Timestamp >= second && e.Timestamp < second.AddSeconds(1))
                .Select(e => (e.Timestamp, Describe(e))));
            return Format(lines, violation.At.AddSeconds(1), TimelineLines * 2);
        }

        // The agents' legs of the customer's conference, and the agent's own legs.
        var legs = Recording.Snapshots.SelectMany(s => s.Calls)
            .Where(c => c.ClientIdentity is { } identity && (identity == agent || key is not null && c.CallbackParameter("session") == key))
            .Select(c => c.Sid)
            .ToHashSet(StringComparer.Ordinal);
        if (key is not null)
        {
            legs.Add(key);
        }

        foreach (var action in Recording.Actions)
        {
            if (action.Actor == key || action.Actor == agent || action.CallSid is { } sid && (sid == key || legs.Contains(sid)) || key is not null && action.Conference == key)
            {
                var who = action.Actor == action.CallSid ? "customer" : action.Actor;
                var what = action.Actor == action.CallSid && action.Action.StartsWith("customer-", StringComparison.Ordinal)
                    ? action.Action["customer-".Length..].Replace('-', ' ')
                    : action.Action;
                lines.Add((action.At, $"{who} {what}{(action.CallSid is { } call && action.Actor != call ? $" {Short(call)}" : "")}" +
                    $"{(action.Detail is { } detail ? $" ({detail})" : "")}"));
            }
        }

        foreach (var (agentId, views) in _views)
        {
            string? previous = null;
            foreach (var (at, view) in views)
            {
                var text = $"{view.Agent.Status}{(view.Call is { } call ? $", {call.Role} {call.MyStatus} {Short(call.Conference)}{(call.Transfer is { } t ? $", transfer to {t.AgentId} {t.State}" : "")}" : "")}";
                if ((agentId == agent || view.Call?.Conference == key && key is not null) && text != previous)
                {
                    lines.Add((at, $"{agentId}'s page: {text}"));
                }

                previous = text;
            }
        }

        if (key is not null)
        {
            string? previous = null;
            foreach (var snapshot in Recording.Snapshots)
            {
                var conference = snapshot.Conferences.FirstOrDefault(c => c.Participants.Any(p => p.CallSid == key));
                var text = conference is null
                    ? snapshot.Calls.Any(c => c.Sid == key) ? "not in a conference" : "gone"
                    : string.Join(", ", conference.Participants.Select(p => $"{(p.CallSid == key ? "customer" : p.Label ?? Short(p.CallSid))} {p.Status}" +
                        $"{(p.Hold ? " on hold" : "")}{(p.IsConnected ? $" hearing {p.Audio}" : "")}"));
                if (text != previous && (previous is not null || text != "gone"))
                {
                    lines.Add((snapshot.At, $"state: {text}"));
                }

                previous = text;
            }
        }

        foreach (var e in Recording.Events)
        {
            if (e.CallSid is { } sid && legs.Contains(sid)
                || key is not null && (e.Parameter("FriendlyName") == key || e.Url?.Contains(key, StringComparison.Ordinal) == true
                    || e.Parameter("StatusCallback").Contains(key, StringComparison.Ordinal))
                || agent is not null && e.Parameter("To") == $"client:{agent}")
            {
                lines.Add((e.Timestamp, Describe(e)));
            }
        }

        return Format(lines.Where(l => l.At >= violation.At - TimeSpan.FromSeconds(60)), violation.At + TimeSpan.FromSeconds(5), TimelineLines);
    }

    private IReadOnlyList<string> Format(IEnumerable<(DateTimeOffset At, string Text)> lines, DateTimeOffset until, int count) =>
        [.. lines.Where(l => l.At <= until)
            .OrderBy(l => l.At)
            .TakeLast(count)
            .Select(l => $"+{(l.At - Recording.Started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s {l.Text}")];

    /// <summary>One line for an emulator event.</summary>
    public static string Describe(EmulatorEvent e)
    {
        var delivery = e.Delivery is { } how ? $" ({how})" : "";
        return e.Kind switch
        {
            "rest" => $"REST {e.Message} → {e.StatusCode}" +
                $"{(e.Parameter("To") is { Length: > 0 } to ? $" to {to}" : "")}{(e.Parameter("Status") is { Length: > 0 } status ? $" Status={status}" : "")}" +
                $"{(e.Parameter("Hold") is { Length: > 0 } hold ? $" Hold={hold}" : "")}{(e.CallSid is { } sid ? $" {Short(sid)}" : "")}{(e.Fault is { } fault ? $" [{fault}]" : "")}",
            "status-callback" => $"status callback {e.Parameter("CallStatus")} of {Short(e.CallSid ?? e.Parameter("CallSid"))} → {e.StatusCode}{delivery}",
            "conference-callback" => $"conference callback {e.Parameter("StatusCallbackEvent")}" +
                $"{(e.Parameter("CallSid") is { Length: > 0 } participant ? $" {Short(participant)}" : "")} → {e.StatusCode}{delivery}",
            "dropped" => $"never delivered: {e.Message} {e.Parameter("CallStatus")}{e.Parameter("StatusCallbackEvent")} of {Short(e.CallSid ?? e.Parameter("CallSid"))}{delivery}",
            "call" => $"call {Short(e.CallSid)} {e.Message}",
            "conference" => $"conference: {e.Message}",
            "error" => $"error {e.ErrorCode}: {e.Message}",
            _ => $"{e.Kind} {(Uri.TryCreate(e.Url, UriKind.Absolute, out var url) ? url.AbsolutePath : e.Url)} → {e.StatusCode}{delivery}",
        };
    }

    private static string Short(string? sid) => sid is null or { Length: 0 } ? "?" : sid.Length > 12 ? $"{sid[..2]}…{sid[^6..]}" : sid;

    private static Dictionary<string, DateTimeOffset> Earliest(IEnumerable<(string Key, DateTimeOffset At)> entries)
    {
        var earliest = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var (key, at) in entries)
        {
            if (!earliest.TryGetValue(key, out var seen) || at < seen)
            {
                earliest[key] = at;
            }
        }

        return earliest;
    }

    /// <summary>Per agent, when their page (or softphone) came and went; a repeated state keeps its first moment.</summary>
    private static Dictionary<string, List<(DateTimeOffset At, bool Live)>> Liveness(List<BenchAction> actions, string came, string went)
    {
        var timelines = new Dictionary<string, List<(DateTimeOffset At, bool Live)>>(StringComparer.Ordinal);
        foreach (var action in actions.Where(a => a.Action == came || a.Action == went))
        {
            var live = action.Action == came;
            if (!timelines.TryGetValue(action.Actor, out var timeline))
            {
                timelines[action.Actor] = timeline = [];
            }

            if (timeline.Count == 0 || timeline[^1].Live != live)
            {
                timeline.Add((action.At, live));
            }
        }

        return timelines;
    }

    private static (DateTimeOffset At, T Value)? Latest<T>(List<(DateTimeOffset At, T Value)> timeline, DateTimeOffset at) =>
        LatestIndex(timeline, at) is var index and >= 0 ? timeline[index] : null;

    /// <summary>The index of the last entry at or before <paramref name="at"/>, or -1.</summary>
    private static int LatestIndex<T>(List<(DateTimeOffset At, T Value)> timeline, DateTimeOffset at)
    {
        int low = 0, high = timeline.Count - 1, found = -1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            if (timeline[middle].At <= at)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return found;
    }
}
