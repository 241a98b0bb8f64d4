using System.Globalization;
using WarmTransfer.TwilioEmulator.Model;
using WarmTransfer.TwilioEmulator.Voice;

namespace WarmTransfer.TwilioEmulator.Delivery;

/// <summary>
/// The parameters of call progress callbacks and conference events, for the events each call or conference asked for,
/// handed to <see cref="CallbackDelivery"/>. The engines raise each one under the state lock with the change it reports,
/// so sequence numbers follow the order of the changes.
/// </summary>
public sealed class StatusCallbacks(EmulatorState state, CallbackDelivery delivery, VoiceMedia media, TimeProvider time)
{
    private static readonly Dictionary<string, string> EventTokens = new(StringComparer.Ordinal)
    {
        ["conference-start"] = "start",
        ["conference-end"] = "end",
        ["participant-join"] = "join",
        ["participant-leave"] = "leave",
        ["participant-mute"] = "mute",
        ["participant-unmute"] = "mute",
        ["participant-hold"] = "hold",
        ["participant-unhold"] = "hold",
        ["participant-modify"] = "modify",
    };

    /// <summary>Call progress events, for the events the call asked for (completed when it named none).</summary>
    public void CallProgress(Call call, string progressEvent)
    {
        if (call.StatusCallback is not { } url)
        {
            return;
        }

        var wanted = call.StatusCallbackEvents.Count == 0 ? new HashSet<string> { "completed" } : call.StatusCallbackEvents;
        if (!wanted.Contains(progressEvent))
        {
            return;
        }

        var parameters = media.VoiceParameters(call);
        lock (state.Sync)
        {
            parameters["CallbackSource"] = "call-progress-events";
            if (progressEvent == "initiated")
            {
                // Twilio reports the call as initiated, not queued, in this one callback.
                parameters["CallStatus"] = "initiated";
            }

            parameters["SequenceNumber"] = call.NextCallbackSequence().ToString(CultureInfo.InvariantCulture);
            parameters["Timestamp"] = Rfc2822.Format(time.GetUtcNow());
            if (progressEvent == "completed")
            {
                var duration = call.DurationSeconds ?? 0;
                parameters["CallDuration"] = duration.ToString(CultureInfo.InvariantCulture);
                parameters["Duration"] = ((duration + 59) / 60).ToString(CultureInfo.InvariantCulture);
            }
        }

        delivery.Send(call.Callbacks, new Callback("status-callback", url, call.StatusCallbackMethod, parameters, call.Sid, null));
    }

    /// <summary>A conference status callback, if the conference asked for this event.</summary>
    public void ConferenceEvent(Conference conference, string statusCallbackEvent, Participant? participant, Dictionary<string, string>? extra = null)
    {
        if (conference.StatusCallback is not { } url || !conference.StatusCallbackEvents.Contains(EventTokens[statusCallbackEvent]))
        {
            return;
        }

        var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AccountSid"] = conference.AccountSid,
            ["ConferenceSid"] = conference.Sid,
            ["FriendlyName"] = conference.FriendlyName,
            ["SequenceNumber"] = conference.NextCallbackSequence().ToString(CultureInfo.InvariantCulture),
            ["StatusCallbackEvent"] = statusCallbackEvent,
            ["Timestamp"] = Rfc2822.Format(time.GetUtcNow()),
        };
        if (participant is not null)
        {
            parameters["CallSid"] = participant.CallSid;
            parameters["Coaching"] = "false";
            parameters["EndConferenceOnExit"] = Bool(participant.EndConferenceOnExit);
            parameters["Hold"] = Bool(participant.Hold);
            parameters["Muted"] = Bool(participant.Muted);
            parameters["StartConferenceOnEnter"] = Bool(participant.StartConferenceOnEnter);
            if (participant.Label is { } label)
            {
                parameters["ParticipantLabel"] = label;
            }
        }

        foreach (var (key, value) in extra ?? [])
        {
            parameters[key] = value;
        }

        delivery.Send(conference.Callbacks, new Callback("conference-callback", url, conference.StatusCallbackMethod,
            parameters, participant?.CallSid, conference.Sid));
    }

    private static string Bool(bool value) => value ? "true" : "false";
}
