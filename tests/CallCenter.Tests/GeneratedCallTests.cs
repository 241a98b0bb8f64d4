using static WarmTransfer.CallCenter.Domain.SessionEffect;
using static WarmTransfer.CallCenter.Domain.SessionEvent;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>
/// Generated calls — offers, transfers, agents' actions, the customer hanging up — delivered the way Twilio delivers: callbacks
/// shuffled, duplicated and dropped, then reconciliation telling the truth about every leg. Whatever the order, the promise holds.
/// </summary>
public sealed class GeneratedCallTests
{
    private const int Calls = 10_000;
    private const string ConferenceSid = CallUnderTest.ConferenceSid;

    [Fact]
    public void Shuffled_duplicated_and_dropped_callbacks_never_break_the_promise()
    {
        for (var seed = 0; seed < Calls; seed++)
        {
            GeneratedCall.Create(seed).Run();
        }
    }

    private enum Fate
    {
        Declines,
        NoAnswer,
        Fails,
        DialFails,
        Answers,
    }

    private sealed record Leg(string Id, string AgentId, Fate Fate)
    {
        public string CallSid => CallUnderTest.CallSidOf(Id);
    }

    /// <summary>One generated call: what happened (the truth) and the order it was delivered in.</summary>
    private sealed class GeneratedCall(int seed)
    {
        private readonly List<Leg> _legs = [];
        private readonly List<(double At, SessionEvent Event)> _deliveries = [];
        private readonly Dictionary<string, string?> _claims = [];
        private readonly System.Text.StringBuilder _transcript = new();
        private readonly List<ContactEvent> _happened = [];
        private bool _customerHangsUp;
        private bool _inLine = true;
        private bool _endAccepted;
        private bool _customerLeftDelivered;
        private CallSession _session = CallSession.Start(CallUnderTest.CustomerCallSid, "+15550100", DateTimeOffset.UnixEpoch);

        public string Transcript => _transcript.ToString();

        public static GeneratedCall Create(int seed)
        {
            var random = new Random(seed);
            var call = new GeneratedCall(seed);
            var twilio = new List<(double At, SessionEvent Event)> { (0, new CustomerJoined(ConferenceSid)) };
            var legCount = random.Next(1, 6);
            var conferenceSequence = 0;
            for (var i = 0; i < legCount; i++)
            {
                var at = i * 10.0 + 1;
                var fate = (Fate)Math.Min(random.Next(8), (int)Fate.Answers);
                var leg = new Leg($"L{i}", $"agent{i}", fate);
                call._legs.Add(leg);
                call._deliveries.Add((at, i == 0 || random.Next(3) == 0
                    ? new AgentOffered(leg.Id, leg.AgentId)
                    : new TransferRequested($"agent{random.Next(i)}", leg.AgentId, leg.Id)));

                var sequence = 0;
                LegProgress Progress(LegCallStatus status) => new(leg.Id, leg.CallSid, status, ++sequence);
                SessionEvent[] chain = fate switch
                {
                    Fate.Declines => [Progress(LegCallStatus.Initiated), Progress(LegCallStatus.Ringing), Progress(LegCallStatus.Busy)],
                    Fate.NoAnswer => [Progress(LegCallStatus.Initiated), Progress(LegCallStatus.Ringing), Progress(LegCallStatus.NoAnswer)],
                    Fate.Fails => [Progress(LegCallStatus.Failed)],
                    Fate.DialFails => [],
                    _ => [Progress(LegCallStatus.Initiated), Progress(LegCallStatus.Ringing), Progress(LegCallStatus.InProgress),
                        new AgentJoined(leg.AgentId, leg.CallSid, ConferenceSid)],
                };
                for (var c = 0; c < chain.Length; c++)
                {
                    twilio.Add((at + 1 + c, chain[c]));
                }

                if (fate == Fate.DialFails)
                {
                    call._deliveries.Add((at + 2, new DialFailed(leg.Id)));
                }
                else if (fate == Fate.Answers)
                {
                    var leaves = at + 6 + random.Next(40);
                    twilio.Add((leaves, new AgentLeft(leg.AgentId, leg.CallSid, ConferenceSid)));
                    twilio.Add((leaves + 1, Progress(LegCallStatus.Completed)));
                }

                for (var a = random.Next(3); a > 0; a--)
                {
                    var agent = $"agent{random.Next(i + 1)}";
                    call._deliveries.Add((at + random.NextDouble() * 10, random.Next(9) switch
                    {
                        0 or 1 or 2 => new LeaveRequested(agent),
                        3 or 4 => new CancelTransferRequested(agent),
                        5 => new HoldRequested(agent, Hold: true),
                        6 => new HoldRequested(agent, Hold: false),
                        7 => new CustomerHoldChanged(random.Next(2) == 0, ++conferenceSequence),
                        _ => random.Next(4) == 0 ? new EndRequested(agent) : new LeaveRequested(agent),
                    }));
                }
            }

            if (random.Next(5) < 2)
            {
                call._customerHangsUp = true;
                twilio.Add((random.NextDouble() * legCount * 12, new CustomerLeft(ConferenceSid)));
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

            // Reconciliation: Twilio's REST view of every leg still up, and of the customer.
            if (_customerHangsUp && !_customerLeftDelivered)
            {
                Deliver(new CustomerLeft(ConferenceSid));
            }

            foreach (var live in _session.Legs.Where(leg => leg.IsLive).ToList())
            {
                var leg = _legs.Single(l => l.Id == live.Id);
                Deliver(leg.Fate switch
                {
                    Fate.Declines => new LegProgress(leg.Id, leg.CallSid, LegCallStatus.Busy),
                    Fate.NoAnswer => new LegProgress(leg.Id, leg.CallSid, LegCallStatus.NoAnswer),
                    Fate.Fails => new LegProgress(leg.Id, leg.CallSid, LegCallStatus.Failed),
                    Fate.DialFails => new DialFailed(leg.Id),
                    _ => new LegProgress(leg.Id, leg.CallSid, LegCallStatus.Completed),
                });
            }

            Check(_session.Legs.All(leg => !leg.IsLive), "every leg has ended once Twilio's truth is known");
            CheckHappenedOnce();
            Check(_claims.Values.All(leg => leg is null), $"every agent is free at the end ({string.Join(", ", _claims.Where(c => c.Value is not null))})");
            if (_customerHangsUp || _endAccepted)
            {
                Check(_session.Phase == CallPhase.Ended && !_inLine, "a customer who is gone is not in the line");
            }
            else
            {
                Check(_session.Phase == CallPhase.Waiting && _inLine, "a customer whose agents have all gone waits in line for the next");
            }
        }

        private void Deliver(SessionEvent @event)
        {
            // Routing claims the agent before the decision, as the services do.
            if (@event is AgentOffered offered)
            {
                _claims[offered.AgentId] = offered.LegId;
            }
            else if (@event is TransferRequested { ColleagueId: { } colleague, LegId: { } leg })
            {
                _claims[colleague] = leg;
            }

            _customerLeftDelivered |= @event is CustomerLeft;
            var before = _session;
            var decision = CallDecisions.Decide(_session, @event, DateTimeOffset.UnixEpoch.AddSeconds(_transcript.Length));
            _transcript.AppendLine($"{@event} -> {decision.Session.Phase}{(decision.Refusal is { } r ? $" refused: {r.Message}" : "")}: {string.Join(", ", decision.Effects)}");
            _session = decision.Session;
            _happened.AddRange(decision.Happened);
            foreach (var effect in decision.Effects)
            {
                switch (effect)
                {
                    case FreeAgent free when _claims.GetValueOrDefault(free.AgentId) == free.LegId:
                        _claims[free.AgentId] = null;
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

            var accepted = decision.Refusal is null;
            _endAccepted |= @event is EndRequested && accepted && decision.Changed;
            Check(!decision.Effects.Any(effect => effect is EndConference) || @event is EndRequested && accepted,
                "only End call ends the conference");
            Check(_session.Phase != CallPhase.Ended || _customerLeftDelivered || _endAccepted,
                "only the customer leaving or End call ends the call");
            Check(decision.Changed || decision.Session == before, "an unchanged decision keeps the session");
            CheckConsistent();

            if (@event is HoldRequested)
            {
                // An agent who presses Hold again asks Twilio again: a command, not a callback.
                return;
            }

            var again = CallDecisions.Decide(_session, @event, DateTimeOffset.UnixEpoch);
            Check(!again.Changed && !again.Effects.Any(effect => effect is DialAgent or HoldCustomer or ResumeCustomer or OfferToNextAgent or EndConference),
                $"{@event} seen twice changes nothing the second time");
        }

        /// <summary>The call's happenings, each recorded once: one answer at most, one end (answered or abandoned) once it ended.</summary>
        private void CheckHappenedOnce()
        {
            Check(_happened.Count(e => e.Kind == ContactEventKind.Answered) == (_session.ConnectedAt is null ? 0 : 1), "an answer is recorded once");
            var ends = _happened.Count(e => e.Kind is ContactEventKind.CallEnded or ContactEventKind.Abandoned);
            Check(ends == (_session.IsEnded && (_session.ConnectedAt is not null || _session.EndedBy is null) ? 1 : 0),
                $"a call's end is recorded once ({ends} times)");
        }

        private void CheckConsistent()
        {
            var session = _session;
            if (session.IsEnded)
            {
                return;
            }

            var owner = session.Owner;
            var consultant = session.Consultant;
            Check(consultant is null || consultant is { IsLive: true, Withdrawn: false }, "a transfer under way has its consultant's leg up");
            Check(session.Transfer is not { Outcome: TransferOutcome.Completed } completed
                || session.Leg(completed.ConsultantLegId!)!.Role == AgentRole.Owner, "a completed transfer made the consultant owner");
            var consistent = session.Phase switch
            {
                CallPhase.Waiting => owner is null && consultant is null,
                CallPhase.Offered => owner is { IsLive: true, HasAnswered: false } && consultant is null,
                CallPhase.Connected => owner is { IsLive: true, HasAnswered: true } && consultant is null,
                CallPhase.Consulting => owner is { IsLive: true, HasAnswered: true } && consultant is not null,
                CallPhase.BlindTransfer => owner is null && (consultant is not null || session.Transfer is { Outcome: TransferOutcome.Waiting }) && session.Transfer!.Blind,
                _ => false,
            };
            Check(consistent, $"the phase {session.Phase} agrees with the legs");
            Check(session.ConnectedAt is null || session.Phase is CallPhase.Connected or CallPhase.Consulting || session.Customer.OnHold,
                "a customer who was connected and has no agent hears hold music, not silence");
        }

        private void Check(bool condition, string promise)
        {
            if (!condition)
            {
                throw new Xunit.Sdk.XunitException($"Generated call {seed} broke a promise: {promise}\n{Transcript}");
            }
        }
    }
}
