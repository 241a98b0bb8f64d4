namespace WarmTransfer.Testing.Tests;

/// <summary>
/// Builds a chaos recording by hand, in seconds from the start of the run: what the bench did, what the portal pushed, what
/// the emulator logged, and the emulator's state as intervals from which a snapshot every half second is taken.
/// </summary>
public sealed class RecordingBuilder(int callsPerSecondBudget = 3)
{
    public const string SupportNumber = "+15005550006";
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<EmulatorEvent> _events = [];
    private readonly List<BenchAction> _actions = [];
    private readonly List<PushedView> _views = [];
    private readonly List<(EmulatorCall Call, double From, double Until)> _calls = [];
    private readonly List<(string Conference, EmulatorParticipant Participant, double From, double Until)> _participants = [];
    private long _sequence;

    public static DateTimeOffset At(double seconds) => Start.AddSeconds(seconds);

    /// <summary>The agent opens their page (softphone registered) and is available.</summary>
    public RecordingBuilder AgentOpens(string agent, double at)
    {
        _actions.Add(new BenchAction(At(at), agent, BenchActions.PageOpen));
        _actions.Add(new BenchAction(At(at), agent, BenchActions.SoftphoneRegistered));
        return View(agent, at + 0.1, AgentStatuses.Available);
    }

    /// <summary>The agent closes their page: hub and softphone gone.</summary>
    public RecordingBuilder AgentCloses(string agent, double at)
    {
        _actions.Add(new BenchAction(At(at), agent, BenchActions.PageGone));
        _actions.Add(new BenchAction(At(at), agent, BenchActions.SoftphoneGone));
        return this;
    }

    public RecordingBuilder View(string agent, double at, string status, string? conference = null)
    {
        var call = conference is null ? null
            : new CallView(conference, "+15551230000", "owner", status == AgentStatuses.Ringing ? "ringing" : "in-call", false, null, [], null);
        _views.Add(new PushedView(At(at), agent, new AgentView(new AgentSummary(agent, agent, status, "available"), call)));
        return this;
    }

    /// <summary>A customer calls at <paramref name="at"/>; their call is live until <paramref name="until"/>.</summary>
    public RecordingBuilder CustomerCalls(string sid, double at, double until)
    {
        _actions.Add(new BenchAction(At(at), sid, BenchActions.CustomerCalled, CallSid: sid));
        _calls.Add((new EmulatorCall(sid, "+15551230000", SupportNumber, "inbound", "in-progress"), at, until));
        return this;
    }

    public RecordingBuilder CustomerHangsUp(string sid, double at)
    {
        _actions.Add(new BenchAction(At(at), sid, BenchActions.CustomerHungUp, CallSid: sid));
        return CallEnds(sid, at + 0.1);
    }

    public RecordingBuilder EndCall(string agent, string conference, double at)
    {
        _actions.Add(new BenchAction(At(at), agent, BenchActions.EndCallPressed, Conference: conference));
        return CallEnds(conference, at + 0.1);
    }

    /// <summary>The emulator logs the call's end.</summary>
    public RecordingBuilder CallEnds(string sid, double at) => Event(at, "call", callSid: sid, message: "ended: completed");

    /// <summary>A <c>POST Calls.json</c> the emulator logged, to an agent for a conference (the dialer's status callback) or to a number.</summary>
    public RecordingBuilder Creation(double at, string to, string? conference = null, string? request = null, int status = 201, string? fault = null)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal) { ["To"] = to, ["From"] = SupportNumber };
        if (conference is not null)
        {
            parameters["StatusCallback"] = $"http://127.0.0.1:5000/voice/call-status?session={conference}&leg={request}&role=Owner";
        }

        return Event(at, "rest", method: "POST", statusCode: status, parameters: parameters, message: "POST Calls.json", fault: fault);
    }

    /// <summary>The dialer rings an agent for a conference: the creation, and the agent's leg live from then until <paramref name="until"/>.</summary>
    public RecordingBuilder Offer(string agent, string conference, string legSid, string request, double at, double until)
    {
        Creation(at, $"client:{agent}", conference, request);
        _calls.Add((new EmulatorCall(legSid, SupportNumber, $"client:{agent}", "outbound-api", "in-progress",
            $"http://127.0.0.1:5000/voice/call-status?session={conference}&leg={request}&role=Owner"), at, until));
        return this;
    }

    /// <summary>A connected participant of the conference (named after the customer's call) for a while.</summary>
    public RecordingBuilder InConference(string conference, string callSid, string label, double from, double until, string audio = "conference")
    {
        _participants.Add((conference, new EmulatorParticipant(callSid, label, "connected", label != "customer", label == "customer", false, false, audio), from, until));
        return this;
    }

    public ChaosRecording Build(double lineClosed, double ended, int seed = 42)
    {
        var snapshots = new List<StateSnapshot>();
        for (var t = 0.0; t <= ended + 1e-9; t += 0.5)
        {
            var calls = _calls.Where(c => c.From <= t && t < c.Until).Select(c => c.Call).ToList();
            var conferences = _participants.Where(p => p.From <= t && t < p.Until).GroupBy(p => p.Conference)
                .Select(g => new EmulatorConference($"CF{g.Key[2..]}", g.Key, "in-progress", null, null, [.. g.Select(p => p.Participant)]))
                .ToList();
            snapshots.Add(new StateSnapshot(At(t), calls, conferences, []));
        }

        return new ChaosRecording(seed, callsPerSecondBudget, Start, At(lineClosed), At(ended),
            [.. _events.OrderBy(e => e.Timestamp)], snapshots, [.. _views.OrderBy(v => v.At)], [.. _actions.OrderBy(a => a.At)]);
    }

    private RecordingBuilder Event(double at, string kind, string? method = null, int? statusCode = null,
        IReadOnlyDictionary<string, string>? parameters = null, string? callSid = null, string? message = null, string? fault = null)
    {
        _events.Add(new EmulatorEvent(++_sequence, At(at), kind, method, null, statusCode, parameters, null, callSid, null, null, message, Fault: fault));
        return this;
    }
}
