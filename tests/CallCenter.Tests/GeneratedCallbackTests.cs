using static WarmTransfer.CallCenter.Domain.SessionEffect;
using static WarmTransfer.CallCenter.Domain.SessionEvent;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>
/// Generated callbacks — the customer answers and hangs up, the agent ends the call, the customer's phone is busy, rings out or
/// fails, Twilio will not make the call, the agent drops before the customer answers — with Twilio's callbacks shuffled,
/// duplicated and dropped, then reconciliation telling the truth. Whatever the order, the callback keeps its promise.
/// </summary>
public sealed class GeneratedCallbackTests
{
    private const int Calls = 5_000;
    private const string LineConference = CallUnderTest.ConferenceSid;
    private const string AgentConference = "CF0000000000000000000000000000cf02";
    private const string CustomerCall = "CA000000000000000000000000000cb01";
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMinutes(2);

    [Fact]
    public void Shuffled_duplicated_and_dropped_callbacks_never_break_a_callbacks_promise()
    {
        for (var seed = 0; seed < Calls; seed++)
        {
            GeneratedCallback.Create(seed).Run();
        }
    }

    private enum Fate
    {
        AnswersAndHangsUp,
        AnswersAndAgentEnds,
        Busy,
        NoAnswer,
        Fails,
        DialFails,
        AgentDropsFirst,
    }

    private sealed class GeneratedCallback(int seed, Fate fate)
    {
        private readonly List<(double At, SessionEvent Event)> _deliveries = [];
        private readonly System.Text.StringBuilder _transcript = new();
        private readonly List<ContactEvent> _happened = [];
        private readonly HashSet<string> _hungUpCalls = [];
        private CallSession _session = CallSession.Start(CallUnderTest.CustomerCallSid, "+15550100", DateTimeOffset.UnixEpoch);
        private string? _aliceOn;
        private bool _inLine = true;
        private bool _customerGone;
        private bool _endAccepted;
        private int _customerDials;

        public static GeneratedCallback Create(int seed)
        {
            var random = new Random(seed);
            var fate = (Fate)random.Next(Enum.GetValues<Fate>().Length);
            var call = new GeneratedCallback(seed, fate);
            var twilio = new List<(double At, SessionEvent Event)>
            {
                // The caller in line, then their own call's end after pressing 1 (its conference, and reconciliation).
                (0, new CustomerJoined(LineConference)),
                (2, new CustomerLeft(LineConference)),
                (3 + random.Next(20), new CustomerLeft(CallSid: CallUnderTest.CustomerCallSid)),
            };
            call._deliveries.Add((1, new CallbackRequested(2, RetryDelay)));

            // Their turn: alice is rung and accepts (her answer's TwiML request is never lost).
            call._deliveries.Add((10, new AgentOffered("o1", "alice")));
            var agentSequence = 0;
            LegProgress Agent(LegCallStatus status) => new("o1", CallUnderTest.CallSidOf("o1"), status, ++agentSequence);
            twilio.Add((11, Agent(LegCallStatus.Initiated)));
            twilio.Add((12, Agent(LegCallStatus.Ringing)));
            var answered = Agent(LegCallStatus.InProgress);
            call._deliveries.Add((13, answered));
            twilio.Add((13.2, answered));
            twilio.Add((13.5, new AgentJoined("alice", CallUnderTest.CallSidOf("o1"), AgentConference)));

            // The customer's call, made once alice accepted.
            var customerSequence = 0;
            CustomerCallProgress Customer(LegCallStatus status) => new("o1", CustomerCall, status, ++customerSequence);
            if (fate != Fate.DialFails)
            {
                call._deliveries.Add((14 + random.NextDouble() * 4, new CustomerCallProgress("o1", CustomerCall, LegCallStatus.Queued)));
                twilio.Add((14.5, Customer(LegCallStatus.Initiated)));
                twilio.Add((15, Customer(LegCallStatus.Ringing)));
            }

            var ends = 20 + random.Next(20);
            switch (fate)
            {
                case Fate.AnswersAndHangsUp or Fate.AnswersAndAgentEnds:
                    var customerAnswered = Customer(LegCallStatus.InProgress);
                    call._deliveries.Add((16, customerAnswered));
                    twilio.Add((16.2, customerAnswered));
                    twilio.Add((16.5, new CustomerJoined(AgentConference)));
                    if (fate == Fate.AnswersAndHangsUp)
                    {
                        call._customerGone = true;
                        twilio.Add((ends, new CustomerLeft(AgentConference, CustomerCall)));
                        twilio.Add((ends + 0.5, Customer(LegCallStatus.Completed)));
                    }
                    else
                    {
                        call._deliveries.Add((ends, new EndRequested("alice")));
                    }

                    break;
                case Fate.Busy:
                    twilio.Add((16, Customer(LegCallStatus.Busy)));
                    break;
                case Fate.NoAnswer:
                    twilio.Add((16, Customer(LegCallStatus.NoAnswer)));
                    break;
                case Fate.Fails:
                    twilio.Add((16, Customer(LegCallStatus.Failed)));
                    break;
                case Fate.DialFails:
                    call._deliveries.Add((16, new CustomerDialFailed("o1")));
                    break;
                case Fate.AgentDropsFirst:
                    twilio.Add((15.5, new AgentLeft("alice", CallUnderTest.CallSidOf("o1"), AgentConference)));
                    twilio.Add((15.6, Agent(LegCallStatus.Completed)));
                    break;
            }

            // Twilio's delivery: each callback late by up to a few steps, one in ten lost, one in ten sent twice.
            foreach (var (at, @event) in twilio)
            {
                if (random.Next(10) == 0)
                {
                    continue;
                }

                call._deliveries.Add((at + random.NextDouble() * 6, @event));
                if (random.Next(10) == 0)
                {
                    call._deliveries.Add((at + random.NextDouble() * 12, @event));
                }
            }

            return call;
        }

        public void Run()
        {
            foreach (var (_, @event) in _deliveries.OrderBy(d => d.At))
            {
                Deliver(@event);
            }

            // Reconciliation: Twilio's REST view of every call the session still follows.
            if (_session is { IsEnded: false, CustomerOnCall: true } && _customerGone)
            {
                Deliver(new CustomerLeft(CallSid: _session.CustomerCallSid));
            }

            if (_session.Callback is { Status: CallbackStatus.Calling, AttemptId: { } attempt, CallSid: { } callSid })
            {
                Deliver(new CustomerCallProgress(attempt, callSid, Truth(callSid)));
            }

            foreach (var live in _session.Legs.Where(leg => leg.IsLive).ToList())
            {
                Deliver(new LegProgress(live.Id, live.CallSid!, Truth(live.CallSid!)));
            }

            Check(_session.Legs.All(leg => !leg.IsLive), "every agent leg has ended once Twilio's truth is known");
            Check(_happened.Count(e => e.Kind == ContactEventKind.Answered) == (_session.ConnectedAt is null ? 0 : 1), "an answer is recorded once");
            Check(_happened.Count(e => e.Kind is ContactEventKind.CallEnded or ContactEventKind.Abandoned) == (_session.ConnectedAt is not null && _session.IsEnded ? 1 : 0),
                "an answered call's end is recorded once, and a callback is not an abandoned call");
            Check(_happened.Count(e => e.Kind == ContactEventKind.CallbackRequested) == 1, "the callback request is recorded once");
            Check(_aliceOn is null, "alice is free at the end");
            Check(_customerDials == 1, $"the customer is called once for the attempt, not {_customerDials} times");
            var callback = _session.Callback!;
            switch (fate)
            {
                case Fate.AnswersAndHangsUp or Fate.AnswersAndAgentEnds:
                    Check(_session.IsEnded && callback.Status == CallbackStatus.Answered && _session.ConnectedAt is not null && !_inLine,
                        "an answered callback is a call that ends when the customer hangs up or the agent ends it");
                    break;
                case Fate.AgentDropsFirst:
                    Check(!_session.IsEnded && _session.Phase == CallPhase.Waiting && callback is { Status: CallbackStatus.Waiting, Attempts: 0, RetryAt: null }
                        && _inLine, "a callback whose agent went before the customer answered is back at the front of the line, the attempt not counted");
                    Check(!_session.Callback!.IsCalling, "the customer's call is given up");
                    break;
                default:
                    Check(!_session.IsEnded && _session.Phase == CallPhase.Waiting && callback is { Status: CallbackStatus.Waiting, Attempts: 1, RetryAt: not null }
                        && !_inLine, "a missed callback waits its retry delay outside the line, its first attempt counted");
                    break;
            }
        }

        /// <summary>How a call ended at Twilio: hung up by the system when it asked, or as its fate says.</summary>
        private LegCallStatus Truth(string callSid) =>
            _hungUpCalls.Contains(callSid) ? LegCallStatus.Completed
            : callSid == CustomerCall ? fate switch
            {
                Fate.Busy => LegCallStatus.Busy,
                Fate.NoAnswer => LegCallStatus.NoAnswer,
                Fate.Fails => LegCallStatus.Failed,
                Fate.AnswersAndHangsUp => LegCallStatus.Completed,
                _ => LegCallStatus.Ringing,
            }
            : fate == Fate.AgentDropsFirst ? LegCallStatus.Completed : LegCallStatus.InProgress;

        private void Deliver(SessionEvent @event)
        {
            if (@event is AgentOffered offered)
            {
                _aliceOn = offered.LegId;
            }

            var before = _session;
            var decision = CallDecisions.Decide(_session, @event, DateTimeOffset.UnixEpoch.AddSeconds(_transcript.Length));
            _transcript.AppendLine($"{@event} -> {decision.Session.Phase} {decision.Session.Callback?.Status}{(decision.Refusal is { } r ? $" refused: {r.Message}" : "")}: {string.Join(", ", decision.Effects)}");
            _session = decision.Session;
            _happened.AddRange(decision.Happened);
            foreach (var effect in decision.Effects)
            {
                switch (effect)
                {
                    case FreeAgent free when _aliceOn == free.LegId:
                        Check(!free.Away, "an agent is not blamed for a customer who does not answer their callback");
                        _aliceOn = null;
                        break;
                    case DialCustomer:
                        _customerDials++;
                        break;
                    case CompleteLeg complete:
                        _hungUpCalls.Add(complete.CallSid);
                        break;
                    case CancelLeg { CallSid: { } canceled }:
                        _hungUpCalls.Add(canceled);
                        break;
                    case DialAgent { Role: AgentRole.Owner }:
                        _inLine = false;
                        break;
                    case OfferToNextAgent:
                        _inLine = true;
                        break;
                    case LeaveLine:
                        _inLine = false;
                        break;
                }
            }

            _endAccepted |= @event is EndRequested && decision is { Refusal: null, Changed: true };
            Check(_session.Phase != CallPhase.Ended || _customerGone || _endAccepted, "only the customer leaving or End call ends the call");
            Check(decision.Changed || decision.Session == before, "an unchanged decision keeps the session");
            Check(_session.Callback is null or { IsCalling: false } || _session.Phase is CallPhase.Connected or CallPhase.Ended,
                "a customer being called back has their agent");

            var again = CallDecisions.Decide(_session, @event, DateTimeOffset.UnixEpoch.AddSeconds(_transcript.Length));
            Check(!again.Changed && !again.Effects.Any(effect => effect is DialAgent or DialCustomer or OfferToNextAgent or EndConference),
                $"{@event} seen twice changes nothing the second time");
        }

        private void Check(bool condition, string promise)
        {
            if (!condition)
            {
                throw new Xunit.Sdk.XunitException($"Generated callback {seed} ({fate}) broke a promise: {promise}\n{_transcript}");
            }
        }
    }
}
