using Microsoft.Extensions.Options;
using WarmTransfer.TwilioEmulator.Model;
using WarmTransfer.TwilioEmulator.Voice;

namespace WarmTransfer.TwilioEmulator.Rest;

public static class ParticipantsApi
{
    public static void MapParticipantsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/Conferences/{ConferenceSid}/Participants.json", List);
        api.MapPost("/Conferences/{ConferenceSid}/Participants.json", CreateAsync);
        api.MapGet("/Conferences/{ConferenceSid}/Participants/{CallSid}.json", Fetch);
        api.MapPost("/Conferences/{ConferenceSid}/Participants/{CallSid}.json", UpdateAsync);
        api.MapDelete("/Conferences/{ConferenceSid}/Participants/{CallSid}.json", Delete);
    }

    private static TwilioJsonResult List(string conferenceSid, HttpRequest request, EmulatorState state)
    {
        var (page, pageSize) = TwilioResources.Paging(request);
        return state.Read(() =>
        {
            if (!state.Conferences.TryGetValue(conferenceSid, out var conference))
            {
                return TwilioResults.NotFound(request.Path);
            }

            return TwilioResults.Ok(TwilioResources.Page("participants", request.Path, conference.Participants, TwilioResources.Participant, page, pageSize, string.Empty));
        });
    }

    /// <summary>Dials To and puts the answered call into the conference, named by sid or by friendly name.</summary>
    private static async Task<TwilioJsonResult> CreateAsync(
        string conferenceSid, HttpRequest request, EmulatorState state, CallEngine calls, ConferenceEngine conferences,
        IOptions<EmulatorOptions> options)
    {
        var form = await TwilioForm.ReadAsync(request);
        if (CallsApi.ValidateDial(form, options.Value, requireInstructions: false) is { } invalid)
        {
            return invalid;
        }

        // An empty WaitUrl is allowed: it means silence.
        if ((CallsApi.ValidateUrl(form, "ConferenceStatusCallback") ?? CallsApi.ValidateUrl(form, "WaitUrl")) is { } invalidUrl)
        {
            return invalidUrl;
        }

        Conference? conference;
        if (conferenceSid.StartsWith("CF", StringComparison.Ordinal) && conferenceSid.Length == 34)
        {
            conference = state.FindConference(conferenceSid);
            if (conference is null || conference.Status == ConferenceStatus.Completed)
            {
                return TwilioResults.NotFound(request.Path);
            }
        }
        else
        {
            conference = null;
        }

        var join = new ConferenceJoin(
            FriendlyName: conference?.FriendlyName ?? conferenceSid,
            StartConferenceOnEnter: form.Bool("StartConferenceOnEnter") ?? true,
            EndConferenceOnExit: form.Bool("EndConferenceOnExit") ?? false,
            Muted: form.Bool("Muted") ?? false,
            Beep: form["Beep"] ?? "true",
            Label: form["Label"],
            WaitUrl: form.Has("WaitUrl") ? form["WaitUrl"] ?? string.Empty : null,
            WaitMethod: form.Method("WaitMethod"),
            MaxParticipants: int.TryParse(form["MaxParticipants"], out var max) ? max : 250,
            StatusCallback: form["ConferenceStatusCallback"],
            StatusCallbackMethod: form.Method("ConferenceStatusCallbackMethod"),
            StatusCallbackEvents: ConferenceEngine.ParseEvents(form.All("ConferenceStatusCallbackEvent")));

        Participant? participant = null;
        var labelTaken = false;
        var placed = calls.TryPlaceOutbound(new OutboundCallRequest(
            From: form["From"]!,
            To: form["To"]!,
            Instructions: null,
            StatusCallback: form["StatusCallback"],
            StatusCallbackMethod: form.Method("StatusCallbackMethod"),
            StatusCallbackEvents: CallsApi.StatusCallbackEvents(form, "StatusCallbackEvent"),
            Timeout: CallsApi.Timeout(form, minimumSeconds: 5),
            JoinOnAnswer: join), admit: call => (participant = conferences.AddPending(conference, call, join, out labelTaken)) is not null);
        if (placed is null)
        {
            // The label is taken, or the conference named by its SID ended since it was looked up.
            return labelTaken
                ? TwilioResults.Invalid(16025, $"A participant with label {join.Label} is already in the conference.")
                : TwilioResults.NotFound(request.Path);
        }

        return state.Read(() => TwilioResults.Created(TwilioResources.Participant(participant!)));
    }

    private static TwilioJsonResult Fetch(string conferenceSid, string callSid, HttpRequest request, EmulatorState state)
    {
        return state.Read(() => state.FindParticipant(conferenceSid, callSid) is { } participant
                ? TwilioResults.Ok(TwilioResources.Participant(participant))
                : TwilioResults.NotFound(request.Path));
    }

    private static async Task<TwilioJsonResult> UpdateAsync(
        string conferenceSid, string callSid, HttpRequest request, EmulatorState state, ConferenceEngine conferences)
    {
        var form = await TwilioForm.ReadAsync(request);
        Participant? participant;
        participant = state.FindParticipant(conferenceSid, callSid);

        if (participant is null)
        {
            return TwilioResults.NotFound(request.Path);
        }

        if (CallsApi.ValidateUrl(form, "HoldUrl") is { } invalidUrl)
        {
            return invalidUrl;
        }

        if (form["HoldMethod"] is { } holdMethod && holdMethod is not ("GET" or "POST"))
        {
            return TwilioResults.Invalid(21601, $"HoldMethod must be GET or POST: {holdMethod}");
        }

        if (!conferences.Update(participant, form.Bool("Hold"), form["HoldUrl"], form["HoldMethod"], form.Bool("Muted"),
            form.Bool("EndConferenceOnExit")))
        {
            // It left, or its conference ended, since it was looked up.
            return TwilioResults.NotFound(request.Path);
        }

        return state.Read(() => TwilioResults.Ok(TwilioResources.Participant(participant)));
    }

    private static TwilioJsonResult Delete(string conferenceSid, string callSid, HttpRequest request, EmulatorState state, ConferenceEngine conferences)
    {
        Participant? participant;
        participant = state.FindParticipant(conferenceSid, callSid);

        if (participant is null)
        {
            return TwilioResults.NotFound(request.Path);
        }

        // It may have left, or its conference ended, since it was looked up.
        return conferences.Leave(participant, "participant_kicked", kicked: true)
            ? TwilioResults.NoContent()
            : TwilioResults.NotFound(request.Path);
    }
}
