namespace WarmTransfer.Benchmarks.Chaos;

/// <summary>A time chosen at random between two bounds, in milliseconds.</summary>
public sealed record ThinkTime(int MinMs, int MaxMs)
{
    public TimeSpan Next(Random random) => TimeSpan.FromMilliseconds(random.Next(MinMs, MaxMs + 1));
}

/// <summary>
/// How the headless agents act: weights of each choice at each moment and how long they think first. Ringing: accept,
/// reject or let it ring. In a call, at each think: keep talking, hold or resume the customer, transfer to a colleague the
/// view offers, cancel a transfer still ringing, leave, end the call, lose the softphone for a moment, close the page. Idle,
/// at each think: nothing, lose the softphone, close the page. A closed page comes back after <see cref="PageAway"/>. A transfer
/// goes to a colleague the view offers or to the next free one, and is cold (the owner leaves at once) <see cref="ColdTransfer"/>
/// percent of the time; the owner may return the customer to the queue. In wrap-up the agent presses Ready after
/// <see cref="WrapUpThink"/>, asking for more time first <see cref="MoreTime"/> percent of the time.
/// </summary>
public sealed record AgentBehaviour(
    int Accept, int Reject, int LetRing, ThinkTime RingThink,
    int Talk, int HoldOrResume, int Transfer, int ReturnToQueue, int ColdTransfer, int CancelTransfer, int Leave, int EndCall, int DropSoftphone,
    int ClosePage, ThinkTime CallThink,
    int Idle, int IdleDropSoftphone, int IdleClosePage, ThinkTime IdleThink,
    ThinkTime SoftphoneOutage, ThinkTime PageAway, ThinkTime PresenceThink, ThinkTime WrapUpThink, int MoreTime);

/// <summary>
/// When customers hang up: never, after a random time (<see cref="Patience"/>), or a little (<see cref="PhaseDelay"/>) after
/// they are first seen waiting, ringing an agent, talking, on hold or in a transfer.
/// </summary>
public sealed record CustomerBehaviour(
    int Never, int AtRandomTime, int WhileWaiting, int WhileRinging, int WhileTalking, int OnHold, int DuringTransfer,
    ThinkTime Patience, ThinkTime PhaseDelay);

/// <summary>What the chaos soak does at one size; the command line can change the seed, length, agents and rate.</summary>
/// <param name="Drain">After the line closes, the longest the agents get to serve the callers still waiting.</param>
/// <param name="TokenLifetime">How long the portal's softphone tokens live, so the agents renew them during the run.</param>
/// <param name="SlowMilliseconds">How long an acted-then-slow REST answer takes.</param>
/// <param name="WrapUpSeconds">Every agent's wrap-up after a call, unless they press Ready first.</param>
/// <param name="Clusters">On the local Redis Cluster and RabbitMQ cluster, with three replicas of every service.</param>
public sealed record ChaosSettings(
    int Seed, int Agents, double CallsPerSecond, double Minutes, TimeSpan Drain, TimeSpan TokenLifetime, int RingTimeoutSeconds, int WrapUpSeconds,
    double ActedThenErrorRate, double ActedThenSlowRate, int SlowMilliseconds, DeliverySettings Delivery,
    AgentBehaviour Agent, CustomerBehaviour Customer, bool Clusters = false)
{
    private static readonly AgentBehaviour DefaultAgent = new(
        Accept: 75, Reject: 10, LetRing: 15, RingThink: new(500, 4000),
        Talk: 30, HoldOrResume: 8, Transfer: 12, ReturnToQueue: 3, ColdTransfer: 30, CancelTransfer: 6, Leave: 6, EndCall: 30, DropSoftphone: 4,
        ClosePage: 1, CallThink: new(1000, 4000),
        Idle: 94, IdleDropSoftphone: 5, IdleClosePage: 1, IdleThink: new(3000, 10_000),
        SoftphoneOutage: new(2000, 6000), PageAway: new(8000, 25_000), PresenceThink: new(1000, 3000), WrapUpThink: new(1000, 6000), MoreTime: 10);

    private static readonly CustomerBehaviour DefaultCustomer = new(
        Never: 35, AtRandomTime: 20, WhileWaiting: 10, WhileRinging: 10, WhileTalking: 10, OnHold: 8, DuringTransfer: 7,
        Patience: new(2000, 60_000), PhaseDelay: new(0, 1500));

    public static ChaosSettings Full(int seed) => new(seed, Agents: 20, CallsPerSecond: 1, Minutes: 5, Drain: TimeSpan.FromMinutes(2),
        TokenLifetime: TimeSpan.FromSeconds(60), RingTimeoutSeconds: 15, WrapUpSeconds: 10,
        ActedThenErrorRate: 0.05, ActedThenSlowRate: 0.05, SlowMilliseconds: 20_000, DeliveryFor(seed), DefaultAgent, DefaultCustomer);

    /// <summary>
    /// A few agents for half a minute, thinking faster. The drain outlasts the worst wait of the last caller: a ring that times out
    /// (8 s and Twilio's 5 s), its lost callback found by reconciliation (up to 20 s), and the next ring.
    /// </summary>
    public static ChaosSettings Smoke(int seed) => new(seed, Agents: 3, CallsPerSecond: 0.5, Minutes: 0.5, Drain: TimeSpan.FromSeconds(50),
        TokenLifetime: TimeSpan.FromSeconds(30), RingTimeoutSeconds: 8, WrapUpSeconds: 5,
        ActedThenErrorRate: 0.05, ActedThenSlowRate: 0.05, SlowMilliseconds: 5000, DeliveryFor(seed),
        DefaultAgent with
        {
            RingThink = new(300, 1500), CallThink = new(500, 2000), IdleThink = new(1000, 3000),
            SoftphoneOutage = new(1000, 3000), PageAway = new(3000, 8000), PresenceThink = new(300, 1000), WrapUpThink = new(300, 1500),
        },
        DefaultCustomer with { Patience = new(1000, 15_000) });

    public static ChaosSettings For(BenchSize size, int seed) => size == BenchSize.Smoke ? Smoke(seed) : Full(seed);

    private static DeliverySettings DeliveryFor(int seed) =>
        new(Concurrent: true, Lossy: true, Duplicate: true, seed, MaxJitterMs: 300, DropRate: 0.05, DuplicateRate: 0.05);

    public TimeSpan Duration => TimeSpan.FromMinutes(Minutes);
}
