using static WarmTransfer.CallCenter.Domain.SessionEvent;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>A call session driven event by event, as the services drive it, keeping what each decision asked for.</summary>
public sealed class CallUnderTest
{
    public const string CustomerCallSid = "CA00000000000000000000000000000c01";
    public const string ConferenceSid = "CF00000000000000000000000000000f01";

    private static readonly DateTimeOffset Start = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private readonly Dictionary<string, int> _sequences = [];
    private int _conferenceSequence;

    public CallSession Session { get; private set; } = CallSession.Start(CustomerCallSid, "+15550100", Start);

    public DateTimeOffset Now { get; private set; } = Start;

    /// <summary>The last decision.</summary>
    public Decision Last { get; private set; } = null!;

    public IReadOnlyList<SessionEffect> Effects => Last.Effects;

    /// <summary>Time passes with nothing happening.</summary>
    public void Pass(TimeSpan time) => Now += time;

    public static string CallSidOf(string legId) => $"CA{legId.PadLeft(32, '0')}";

    public Decision Apply(SessionEvent @event)
    {
        Now = Now.AddSeconds(1);
        Last = CallDecisions.Decide(Session, @event, Now);
        Session = Last.Session;
        return Last;
    }

    /// <summary>Twilio's next call-progress callback for the leg (its own SequenceNumber stream, from 0 as Twilio numbers it).</summary>
    public Decision Progress(string legId, LegCallStatus status)
    {
        var sequence = _sequences[legId] = _sequences.TryGetValue(legId, out var last) ? last + 1 : 0;
        return Apply(new LegProgress(legId, CallSidOf(legId), status, sequence));
    }

    public Decision Joined(string legId) => Apply(new AgentJoined(Session.Leg(legId)!.AgentId, CallSidOf(legId), ConferenceSid));

    public Decision Left(string legId) => Apply(new AgentLeft(Session.Leg(legId)!.AgentId, CallSidOf(legId), ConferenceSid));

    public Decision CustomerHold(bool onHold) => Apply(new CustomerHoldChanged(onHold, ++_conferenceSequence));

    /// <summary>The leg rings and is answered and joins: initiated, ringing, in-progress, participant-join.</summary>
    public CallUnderTest Answers(string legId)
    {
        Progress(legId, LegCallStatus.Initiated);
        Progress(legId, LegCallStatus.Ringing);
        Progress(legId, LegCallStatus.InProgress);
        Joined(legId);
        return this;
    }

    /// <summary>The leg rings and ends unanswered with <paramref name="status"/>.</summary>
    public Decision Misses(string legId, LegCallStatus status)
    {
        Progress(legId, LegCallStatus.Initiated);
        Progress(legId, LegCallStatus.Ringing);
        return Progress(legId, status);
    }

    /// <summary>The leg leaves the conference and its call completes.</summary>
    public IReadOnlyList<SessionEffect> Hangs(string legId)
    {
        var effects = Left(legId).Effects.ToList();
        effects.AddRange(Progress(legId, LegCallStatus.Completed).Effects);
        return effects;
    }

    /// <summary>A customer connected to <paramref name="owner"/> on leg "o1".</summary>
    public static CallUnderTest Connected(string owner = "alice")
    {
        var call = new CallUnderTest();
        call.Apply(new CustomerJoined(ConferenceSid));
        call.Apply(new AgentOffered("o1", owner));
        return call.Answers("o1");
    }

    /// <summary>Connected to alice (leg o1), with bob (leg t1) in the consultation.</summary>
    public static CallUnderTest Consulting()
    {
        var call = Connected();
        call.Apply(new TransferRequested("alice", "bob", "t1"));
        return call.Answers("t1");
    }

    public T Single<T>() where T : SessionEffect => Assert.Single(Effects.OfType<T>());

    public void None<T>() where T : SessionEffect => Assert.Empty(Effects.OfType<T>());
}
