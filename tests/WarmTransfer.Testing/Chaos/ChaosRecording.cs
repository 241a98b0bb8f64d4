namespace WarmTransfer.Testing.Chaos;

/// <summary>
/// Everything a chaos run saw, in one clock (UTC on the machine that runs the system): the emulator's event log, snapshots
/// of the emulator's state, the views the portal pushed to each agent, and what the bench itself did. The invariant
/// checker reads nothing else.
/// </summary>
/// <param name="CallsPerSecondBudget">The account's calls-per-second budget the dialer was given.</param>
/// <param name="LineClosed">When the last customer called: after it the agents only serve who is left.</param>
/// <param name="Ended">The end of the run: what happens after it (stopping the agents, hanging up) is not judged.</param>
/// <param name="Snapshots">
/// <c>GET /admin/state</c> every fraction of a second, oldest first, each with only the calls still live and the conferences
/// not ended (a recorder keeps them small); the last one is taken at <paramref name="Ended"/>.
/// </param>
public sealed record ChaosRecording(
    int Seed,
    int CallsPerSecondBudget,
    DateTimeOffset Started,
    DateTimeOffset LineClosed,
    DateTimeOffset Ended,
    IReadOnlyList<EmulatorEvent> Events,
    IReadOnlyList<StateSnapshot> Snapshots,
    IReadOnlyList<PushedView> Views,
    IReadOnlyList<BenchAction> Actions);

/// <summary>The emulator's state at one moment: live calls, conferences not ended (with their participants), devices.</summary>
public sealed record StateSnapshot(
    DateTimeOffset At, IReadOnlyList<EmulatorCall> Calls, IReadOnlyList<EmulatorConference> Conferences, IReadOnlyList<EmulatorDevice> Devices)
{
    /// <summary>Only what is still live: calls not ended, conferences not completed.</summary>
    public static StateSnapshot Of(DateTimeOffset at, EmulatorState state) =>
        new(at, [.. state.Calls.Where(c => c.IsLive)], [.. state.Conferences.Where(c => c.Status != "completed")], state.Devices);
}

/// <summary>A view the portal pushed to an agent's page, when it arrived.</summary>
public sealed record PushedView(DateTimeOffset At, string AgentId, AgentView View);

/// <summary>
/// One thing the bench did or saw happen to its own clients. <paramref name="Actor"/> is the customer's call SID or the
/// agent's id; <paramref name="Conference"/> the customer's conference (its call SID) an agent acted on.
/// </summary>
public sealed record BenchAction(
    DateTimeOffset At, string Actor, string Action, string? CallSid = null, string? Conference = null, string? Detail = null);

/// <summary>The bench's actions the checker reads (<see cref="BenchAction.Action"/>), and the others a timeline shows.</summary>
public static class BenchActions
{
    /// <summary>A customer called the support line; <see cref="BenchAction.CallSid"/> is their call.</summary>
    public const string CustomerCalled = "customer-called";

    /// <summary>The customer hung up (logged before the request is sent).</summary>
    public const string CustomerHungUp = "customer-hung-up";

    /// <summary>An agent pressed End call (logged before the request is sent), for <see cref="BenchAction.Conference"/>.</summary>
    public const string EndCallPressed = "end-call";

    /// <summary>The agent's page is open: signed in, its hub connection open.</summary>
    public const string PageOpen = "page-open";

    /// <summary>The agent's page is closed (hub and softphone gone with it).</summary>
    public const string PageGone = "page-gone";

    /// <summary>The agent's softphone registered with the emulator.</summary>
    public const string SoftphoneRegistered = "softphone-registered";

    /// <summary>The agent's softphone is gone: dropped, closed with the page, or its socket lost.</summary>
    public const string SoftphoneGone = "softphone-gone";

    // What agents did besides, for timelines.
    public const string Accepted = "accept";
    public const string Rejected = "reject";
    public const string LetRing = "let-ring";
    public const string Hold = "hold";
    public const string Resume = "resume";
    public const string Transfer = "transfer";
    public const string CancelTransfer = "cancel-transfer";
    public const string Leave = "leave";
    public const string ReturnToQueue = "return-to-queue";
    public const string Ready = "ready";
    public const string MoreTime = "more-time";
    public const string WentAvailable = "available";
    public const string DeviceDropped = "device-drop";
}
