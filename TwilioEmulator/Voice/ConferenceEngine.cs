using System.Globalization;
using Microsoft.Extensions.Options;
using WarmTransfer.TwilioEmulator.Delivery;
using WarmTransfer.TwilioEmulator.Model;

namespace WarmTransfer.TwilioEmulator.Voice;

/// <summary>
/// Twilio's conference rules: participants wait with the wait URL's TwiML until a startConferenceOnEnter
/// participant is in with someone else; the conference ends when an endConferenceOnExit participant or the
/// last participant leaves; hold plays the hold URL. Status callbacks follow the first participant's settings.
/// </summary>
public sealed class ConferenceEngine(
    EmulatorState state,
    StatusCallbacks callbacks,
    ParticipantAudio audio,
    EventLog events,
    IOptions<EmulatorOptions> options,
    TimeProvider time,
    ILogger<ConferenceEngine> logger)
{
    /// <summary>statusCallbackEvent: space separated (or repeated); Twilio sends start and end when none is named.</summary>
    public static IReadOnlySet<string> ParseEvents(params string?[] values)
    {
        var tokens = values.SelectMany(value => (value ?? string.Empty).Split([' ', ','], StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);
        return tokens.Count == 0 ? new HashSet<string>(["start", "end"], StringComparer.Ordinal) : tokens;
    }

    /// <summary>The active conference with this name, created (status init) when there is none.</summary>
    public Conference FindOrCreate(ConferenceJoin join)
    {
        lock (state.Sync)
        {
            if (state.ActiveConferencesByName.TryGetValue(join.FriendlyName, out var existing))
            {
                return existing;
            }

            var now = time.GetUtcNow();
            var conference = new Conference
            {
                Sid = Sids.New("CF"),
                AccountSid = options.Value.AccountSid,
                FriendlyName = join.FriendlyName,
                DateCreated = now,
                DateUpdated = now,
                MaxParticipants = Math.Clamp(join.MaxParticipants, 2, 250),
                StatusCallback = join.StatusCallback,
                StatusCallbackMethod = join.StatusCallbackMethod,
                StatusCallbackEvents = join.StatusCallbackEvents ?? ParseEvents(),
                Callbacks = new CallbackQueue(logger),
            };
            state.Conferences[conference.Sid] = conference;
            state.ActiveConferencesByName[conference.FriendlyName] = conference;
            events.Add("conference", conferenceSid: conference.Sid, message: $"created {conference.FriendlyName}");
            return conference;
        }
    }

    /// <summary>
    /// A Participants API leg: listed at once (queued), connected when its call is answered. Into <paramref name="known"/>
    /// (named by SID), or else the active conference of the leg's friendly name, created when there is none. Null when the
    /// known conference ended, or when the leg's label is taken (<paramref name="labelTaken"/>, error 16025): checked and
    /// added in one step under the lock.
    /// </summary>
    public Participant? AddPending(Conference? known, Call call, ConferenceJoin join, out bool labelTaken)
    {
        lock (state.Sync)
        {
            labelTaken = false;
            var conference = known ?? FindOrCreate(join);
            if (conference.Status == ConferenceStatus.Completed)
            {
                return null;
            }

            if (join.Label is { } label && conference.Participants.Any(p => p.Label == label))
            {
                labelTaken = true;
                return null;
            }

            var participant = NewParticipant(conference, call, join);
            conference.Participants.Add(participant);
            call.Participant = participant;
            return participant;
        }
    }

    /// <summary>
    /// Runs one call's time in a conference; returns when the participant left (the call goes on with its TwiML), false
    /// at once when it could not join.
    /// </summary>
    public async Task<bool> RunLegAsync(Call call, ConferenceJoin join, CancellationToken cancellationToken)
    {
        var participant = Join(call, join);
        if (participant is null)
        {
            return false;
        }

        try
        {
            await participant.Left.Task.WaitAsync(cancellationToken);
            return true;
        }
        catch (OperationCanceledException) when (!call.Ended.IsCancellationRequested)
        {
            // New TwiML for the call takes it out of the conference.
            Leave(participant, "participant_updated_via_api", kicked: false);
            throw;
        }
    }

    private Participant? Join(Call call, ConferenceJoin join)
    {
        lock (state.Sync)
        {
            if (call.IsEnded)
            {
                return null;
            }

            if (call.JoinOnAnswer is not null && call.Participant is null)
            {
                // A Participants API leg removed (or whose conference ended) between its answer and its join: it has
                // no conference to join, and must not open a new one of the same name.
                return null;
            }

            var participant = call.Participant is { Status: ParticipantStatus.Queued or ParticipantStatus.Ringing } pending
                && pending.Conference.Status != ConferenceStatus.Completed
                ? pending
                : null;
            var conference = participant?.Conference ?? FindOrCreate(join);
            if (participant is null)
            {
                if (conference.Participants.Count(p => p.Status == ParticipantStatus.Connected) >= conference.MaxParticipants)
                {
                    events.Add("error", callSid: call.Sid, conferenceSid: conference.Sid, errorCode: 16001,
                        message: $"Conference {conference.FriendlyName} is full ({conference.MaxParticipants} participants).");
                    return null;
                }

                participant = NewParticipant(conference, call, join);
                conference.Participants.Add(participant);
                call.Participant = participant;
            }

            participant.Status = ParticipantStatus.Connected;
            participant.DateUpdated = time.GetUtcNow();
            conference.AnyoneConnected = true;
            callbacks.ConferenceEvent(conference, "participant-join", participant);
            var connected = conference.Participants.Where(p => p.Status == ParticipantStatus.Connected).ToList();
            if (conference.Status == ConferenceStatus.Init && connected.Count >= 2 && connected.Any(p => p.StartConferenceOnEnter))
            {
                conference.Status = ConferenceStatus.InProgress;
                conference.DateUpdated = time.GetUtcNow();
                callbacks.ConferenceEvent(conference, "conference-start", null);
            }

            foreach (var each in connected)
            {
                audio.Update(each);
            }

            events.Add("conference", callSid: call.Sid, conferenceSid: conference.Sid,
                message: $"{call.Sid} joined {conference.FriendlyName}");
            return participant;
        }
    }

    private Participant NewParticipant(Conference conference, Call call, ConferenceJoin join) => new()
    {
        CallSid = call.Sid,
        Conference = conference,
        DateCreated = time.GetUtcNow(),
        DateUpdated = time.GetUtcNow(),
        Label = join.Label,
        StartConferenceOnEnter = join.StartConferenceOnEnter,
        EndConferenceOnExit = join.EndConferenceOnExit,
        Muted = join.Muted,
        Beep = join.Beep,
        WaitUrl = join.WaitUrl,
        WaitMethod = join.WaitMethod,
    };

    /// <summary>
    /// The participant leaves: hung up, removed through the API (kicked), or moved to other TwiML. A Participants API
    /// leg still ringing is canceled. False when it had already left.
    /// </summary>
    public bool Leave(Participant participant, string reason, bool kicked) => Remove(participant, reason, kicked, cancelRinging: true);

    /// <summary>A Participants API leg not answered yet got other TwiML: it will not join, and its call rings on.</summary>
    public void Withdraw(Participant participant) => Remove(participant, "participant_updated_via_api", kicked: false, cancelRinging: false);

    private bool Remove(Participant participant, string reason, bool kicked, bool cancelRinging)
    {
        lock (state.Sync)
        {
            var conference = participant.Conference;
            if (!conference.Participants.Contains(participant))
            {
                return false;
            }

            var call = state.Calls[participant.CallSid];
            var wasConnected = Depart(participant, call, reason, cancelRinging);
            events.Add("conference", callSid: call.Sid, conferenceSid: conference.Sid,
                message: $"{call.Sid} left {conference.FriendlyName}: {reason}");

            if (wasConnected && participant.EndConferenceOnExit)
            {
                End(conference, kicked ? "participant-with-end-conference-on-exit-kicked" : "participant-with-end-conference-on-exit-left", call.Sid);
            }
            else if (conference.Participants.Count == 0)
            {
                End(conference, kicked ? "last-participant-kicked" : "last-participant-left", call.Sid);
            }
        }

        participant.Left.TrySetResult(reason);
        return true;
    }

    /// <summary>
    /// One participant goes, under the lock: off the list, its audio stopped, its call no longer in the conference, and
    /// participant-leave raised — or, for a leg that never connected, its ringing cancelled (when asked) and the failed
    /// add told. Returns whether it was connected.
    /// </summary>
    private bool Depart(Participant participant, Call call, string reason, bool cancelRinging)
    {
        var conference = participant.Conference;
        conference.Participants.Remove(participant);
        var wasConnected = participant.Status == ParticipantStatus.Connected;
        participant.Status = wasConnected ? ParticipantStatus.Complete : ParticipantStatus.Failed;
        participant.DateUpdated = time.GetUtcNow();
        audio.Stop(participant);
        if (call.Participant == participant)
        {
            call.Participant = null;
        }

        if (wasConnected)
        {
            callbacks.ConferenceEvent(conference, "participant-leave", participant, new()
            {
                ["ReasonParticipantLeft"] = reason,
                ["ParticipantCallStatus"] = call.Status,
            });
            return true;
        }

        if (cancelRinging)
        {
            // A Participants API leg that never answered.
            call.RingOutcome.TrySetResult(CallStatus.Canceled);
        }

        RaiseAddFailed(conference, participant, call);
        return false;
    }

    /// <summary>Ends the conference: everyone still in leaves, then conference-end is sent.</summary>
    public void End(Conference conference, string reason, string? callSidEndingConference)
    {
        List<Participant> remaining;
        lock (state.Sync)
        {
            if (conference.Status == ConferenceStatus.Completed)
            {
                return;
            }

            conference.Status = ConferenceStatus.Completed;
            conference.ReasonConferenceEnded = reason;
            conference.CallSidEndingConference = callSidEndingConference;
            conference.DateUpdated = time.GetUtcNow();
            if (state.ActiveConferencesByName.TryGetValue(conference.FriendlyName, out var active) && active == conference)
            {
                state.ActiveConferencesByName.Remove(conference.FriendlyName);
            }

            remaining = [.. conference.Participants];
            foreach (var participant in remaining)
            {
                Depart(participant, state.Calls[participant.CallSid], "conference_ended", cancelRinging: true);
            }

            // A conference nobody ever connected to never started for Twilio: it ends without a word.
            if (conference.AnyoneConnected)
            {
                callbacks.ConferenceEvent(conference, "conference-end", null, new()
                {
                    ["ReasonConferenceEnded"] = reason,
                    ["CallSidEndingConference"] = callSidEndingConference ?? string.Empty,
                });
            }

            conference.Callbacks.Complete();
            events.Add("conference", conferenceSid: conference.Sid, message: $"ended {conference.FriendlyName}: {reason}");
            logger.LogInformation("Conference {ConferenceSid} ended: {Reason}", conference.Sid, reason);
        }

        foreach (var participant in remaining)
        {
            participant.Left.TrySetResult("conference_ended");
        }
    }

    /// <summary>
    /// A Participants API leg that never connected leaves with its call's final status (busy, no-answer, failed,
    /// canceled) and participant_add_failed, as Twilio documents. A leg given new TwiML before it answered has no final
    /// status: its call rings on, and nothing is told.
    /// </summary>
    private void RaiseAddFailed(Conference conference, Participant participant, Call call)
    {
        var finalStatus = call.IsEnded ? call.Status
            : call.RingOutcome.Task is { IsCompletedSuccessfully: true, Result: var outcome } && outcome != CallStatus.InProgress ? outcome
            : null;
        if (finalStatus is not null)
        {
            callbacks.ConferenceEvent(conference, "participant-leave", participant, new()
            {
                ["ReasonParticipantLeft"] = "participant_add_failed",
                ["ParticipantCallStatus"] = finalStatus,
            });
        }
    }

    /// <summary>
    /// Participants API update. A change of EndConferenceOnExit is ignored while the participant is on hold.
    /// False when the participant left, or its conference ended, since it was looked up.
    /// </summary>
    public bool Update(Participant participant, bool? hold, string? holdUrl, string? holdMethod, bool? muted, bool? endConferenceOnExit)
    {
        lock (state.Sync)
        {
            var conference = participant.Conference;
            if (conference.Status == ConferenceStatus.Completed || !conference.Participants.Contains(participant))
            {
                return false;
            }

            if (endConferenceOnExit is { } end && !participant.Hold && end != participant.EndConferenceOnExit)
            {
                participant.EndConferenceOnExit = end;
                callbacks.ConferenceEvent(conference, "participant-modify", participant);
            }

            if (holdUrl is not null)
            {
                participant.HoldUrl = holdUrl;
            }

            if (holdMethod is not null)
            {
                participant.HoldMethod = holdMethod;
            }

            if (muted is { } mute && mute != participant.Muted)
            {
                participant.Muted = mute;
                callbacks.ConferenceEvent(conference, mute ? "participant-mute" : "participant-unmute", participant);
            }

            if (hold is { } held && held != participant.Hold)
            {
                participant.Hold = held;
                callbacks.ConferenceEvent(conference, held ? "participant-hold" : "participant-unhold", participant);
            }

            participant.DateUpdated = time.GetUtcNow();
            audio.Update(participant);
            return true;
        }
    }
}
