using Microsoft.Extensions.Options;
using WarmTransfer.TwilioEmulator.Model;

namespace WarmTransfer.TwilioEmulator.Voice;

/// <summary>
/// What a conference participant hears: the wait URL's TwiML before the conference starts, the hold URL's while on hold,
/// the others once it runs. Wait and hold TwiML is fetched and played here; called under the state lock.
/// </summary>
public sealed class ParticipantAudio(EmulatorState state, VoiceMedia media, EventLog events, IOptions<EmulatorTimingOptions> timing)
{
    /// <summary>Starts or stops the wait or hold music the participant should hear now.</summary>
    public void Update(Participant participant)
    {
        string? kind = participant.Status != ParticipantStatus.Connected ? null
            : participant.Hold ? "hold"
            : participant.Conference.Status == ConferenceStatus.Init ? "wait"
            : null;
        if (kind is null)
        {
            Stop(participant);
            participant.Audio = "conference";
            return;
        }

        if (kind == participant.MediaKind)
        {
            return;
        }

        Stop(participant);
        participant.MediaKind = kind;
        var (url, method, audio) = kind switch
        {
            "hold" => (participant.HoldUrl, participant.HoldMethod, "hold-music"),
            _ => (participant.WaitUrl, participant.WaitMethod, "wait-music"),
        };

        if (url is null)
        {
            // No URL: Twilio's own default music.
            participant.Audio = audio;
        }
        else if (url.Length == 0)
        {
            participant.Audio = "silence";
        }
        else
        {
            var playing = new CancellationTokenSource();
            participant.Media = playing;
            participant.Audio = audio;
            // Taken now: Stop may cancel and dispose the source before the task starts.
            var token = playing.Token;
            _ = Task.Run(() => PlayMediaAsync(participant, new TwimlSource(url, method, null), kind, audio, token));
        }
    }

    public void Stop(Participant participant)
    {
        if (participant.Media is { } playing)
        {
            _ = CancelAndDisposeAsync(playing);
        }

        participant.Media = null;
        participant.MediaKind = null;
    }

    private static async Task CancelAndDisposeAsync(CancellationTokenSource source)
    {
        // CancelAsync runs the callbacks on the thread pool, not under the caller's lock; disposing before they
        // ran would drop them, so the source is disposed once they have.
        await source.CancelAsync();
        source.Dispose();
    }

    /// <summary>Wait and hold TwiML may hold only Say, Play, Pause and Redirect; when it runs out, silence.</summary>
    private async Task PlayMediaAsync(Participant participant, TwimlSource source, string kind, string audio, CancellationToken cancellationToken)
    {
        var call = state.FindCall(participant.CallSid)!;
        TwimlSource? next = source;
        var redirectsInARow = 0;
        try
        {
            while (next is not null)
            {
                var parameters = media.VoiceParameters(call);
                parameters["ConferenceSid"] = participant.Conference.Sid;
                parameters["FriendlyName"] = participant.Conference.FriendlyName;
                var current = next;
                var document = await media.FetchMusicAsync(call, current, $"{kind}-url", parameters, cancellationToken);
                if (document.Verbs.FirstOrDefault(verb => !Twiml.MediaVerbs.Contains(verb.Name.LocalName)) is { } forbidden)
                {
                    throw new TwimlException(13238, $"Invalid verb for a {kind} URL: <{forbidden.Name.LocalName}>; only Say, Play, Pause and Redirect are allowed.");
                }

                next = null;
                foreach (var verb in document.Verbs)
                {
                    if (verb.Name.LocalName == "Redirect")
                    {
                        TwimlInterpreter.CheckRedirectLimit(++redirectsInARow, timing.Value.MaxConsecutiveRedirects);
                        // Relative to the document it is in, which after a first Redirect is not the wait URL itself.
                        next = new TwimlSource(TwimlInterpreter.Resolve(current.Url, verb.Value.Trim()), Twiml.Attribute(verb, "method") ?? "POST", null);
                        break;
                    }

                    await media.PlayAsync(verb, call, participant.Conference.Sid, cancellationToken);
                    redirectsInARow = 0;
                }
            }
        }
        catch (TwimlException exception)
        {
            events.Add("error", callSid: call.Sid, conferenceSid: participant.Conference.Sid, errorCode: exception.Code, message: exception.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        lock (state.Sync)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                participant.Audio = "silence";
            }
        }
    }
}
