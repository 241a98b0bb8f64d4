using Twilio.TwiML;
using Twilio.TwiML.Voice;
using WarmTransfer.CallCenter.Waiting;
using Conference = Twilio.TwiML.Voice.Conference;

namespace WarmTransfer.CallCenter.Voice;

/// <summary>
/// The TwiML of every leg, built with the SDK's VoiceResponse, never by string concatenation: each shape of document once, its
/// per-call values (names, what a waiting caller is told) filled into its slots on each request (see <see cref="TwimlTemplate"/>).
/// </summary>
public static class CallCenterTwiml
{
    public const string CustomerLabel = "customer";

    // No "start": the agent's join, which starts the conference, says all that it would.
    private static readonly List<Conference.EventEnum> Events =
    [
        Conference.EventEnum.End, Conference.EventEnum.Join, Conference.EventEnum.Leave, Conference.EventEnum.Hold,
    ];

    /// <summary>
    /// The caller waits in their own conference: it starts only when an agent joins, and ends when the caller leaves.
    /// </summary>
    public static string CustomerConference(string conferenceName, Uri holdUrl, Uri conferenceEventsUrl) =>
        TwimlTemplate.Render(Shape(nameof(CustomerConference), holdUrl, conferenceEventsUrl),
            slots => new VoiceResponse().Append(CustomerDial(slots[0], holdUrl, conferenceEventsUrl)), conferenceName);

    /// <summary>
    /// The caller is offered a callback before they join the line's conference: a key pressed while or shortly after the offer is
    /// said goes to <paramref name="choiceUrl"/>; with none, they join the conference as any caller does.
    /// </summary>
    public static string OfferCallback(string offer, string? voice, string? language, Uri choiceUrl, string conferenceName, Uri holdUrl,
        Uri conferenceEventsUrl) =>
        TwimlTemplate.Render(Shape(nameof(OfferCallback), offer, voice, language, choiceUrl, holdUrl, conferenceEventsUrl), slots =>
        {
            var gather = new Gather(input: [Gather.InputEnum.Dtmf], numDigits: 1, action: choiceUrl, method: Twilio.Http.HttpMethod.Post, timeout: 5)
                .Append(Say(offer, voice, language));
            return new VoiceResponse().Append(gather).Append(CustomerDial(slots[0], holdUrl, conferenceEventsUrl));
        }, conferenceName);

    /// <summary>A word to the caller, then the call ends (they asked to be called back).</summary>
    public static string SayAndHangUp(string text, string? voice, string? language) =>
        TwimlTemplate.Render(Shape(nameof(SayAndHangUp), text, voice, language), _ => new VoiceResponse().Append(Say(text, voice, language)).Hangup());

    /// <summary>The customer answered their callback: a word, then the agent's conference (already started by the agent).</summary>
    public static string CallbackConference(string greeting, string? voice, string? language, string conferenceName, Uri holdUrl,
        Uri conferenceEventsUrl) =>
        TwimlTemplate.Render(Shape(nameof(CallbackConference), greeting, voice, language, holdUrl, conferenceEventsUrl),
            slots => new VoiceResponse().Append(Say(greeting, voice, language)).Append(CustomerDial(slots[0], holdUrl, conferenceEventsUrl)), conferenceName);

    /// <summary>What a document is built from besides its slots' values: one rendering per distinct shape.</summary>
    private static string Shape(string kind, params object?[] inputs) => string.Join('\n', inputs.Select(input => input ?? "\0").Prepend(kind));

    private static Say Say(string text, string? voice, string? language) =>
        new(text, voice: voice is null ? null : (Say.VoiceEnum)voice, language: language is null ? null : (Say.LanguageEnum)language);

    private static Dial CustomerDial(string conferenceName, Uri holdUrl, Uri conferenceEventsUrl)
    {
        var conference = new Conference(conferenceName,
            startConferenceOnEnter: false,
            endConferenceOnExit: true,
            waitUrl: holdUrl,
            waitMethod: Twilio.Http.HttpMethod.Post,
            beep: Conference.BeepEnum.False,
            participantLabel: CustomerLabel,
            statusCallback: conferenceEventsUrl,
            statusCallbackMethod: Twilio.Http.HttpMethod.Post,
            statusCallbackEvent: Events);
        return new Dial().Append(conference);
    }

    /// <summary>
    /// One pass of a waiting caller's wait TwiML (conference wait TwiML may hold only Say, Play, Pause and Redirect): the greeting
    /// and announcement due now, the hold music <paramref name="musicLoops"/> times, and back to <paramref name="waitUrl"/> for
    /// the next pass. It ends by itself when an agent joins and the conference starts.
    /// </summary>
    public static string Wait(WaitPrompt prompt, string? voice, string? language, Uri musicUrl, int musicLoops, Uri waitUrl)
    {
        string[] said = [.. new[] { prompt.Greeting, prompt.Announcement }.OfType<string>()];
        return TwimlTemplate.Render(Shape(nameof(Wait), prompt.Greeting is null, prompt.Announcement is null, voice, language, musicUrl, musicLoops, waitUrl),
            slots =>
            {
                var response = new VoiceResponse();
                foreach (var text in slots)
                {
                    response.Append(Say(text, voice, language));
                }

                return response.Play(musicUrl, loop: musicLoops).Redirect(waitUrl, method: Twilio.Http.HttpMethod.Post);
            }, said);
    }

    /// <summary>
    /// A caller whose call could not be taken in yet (the call center's state failing over): a moment's silence, then Twilio asks
    /// <paramref name="retryUrl"/> again. The caller is never cut off for it.
    /// </summary>
    public static string TryAgainShortly(Uri retryUrl) =>
        TwimlTemplate.Render(Shape(nameof(TryAgainShortly), retryUrl), _ => new VoiceResponse()
            .Pause(length: 1)
            .Redirect(retryUrl, method: Twilio.Http.HttpMethod.Post));

    /// <summary>A customer an agent put on hold (or handed on): a word, then hold music that loops until they are taken off it.</summary>
    public static string Hold(Uri musicUrl) =>
        TwimlTemplate.Render(Shape(nameof(Hold), musicUrl), _ => new VoiceResponse()
            .Say("Please hold.")
            .Play(musicUrl, loop: 0));

    /// <summary>
    /// An agent's leg. No agent's leaving ends the call: only the customer's leg (or End call, through REST) does. Every agent
    /// leg carries the conference status callback, because Twilio keeps the settings of whichever participant joins first.
    /// The flags are decided here, when the leg joins: Twilio ignores later changes of endConferenceOnExit while on hold.
    /// </summary>
    public static string AgentConference(string conferenceName, string agentId, Uri conferenceEventsUrl) =>
        TwimlTemplate.Render(Shape(nameof(AgentConference), conferenceEventsUrl), slots => new VoiceResponse().Append(new Dial().Append(new Conference(slots[0],
            startConferenceOnEnter: true,
            endConferenceOnExit: false,
            beep: Conference.BeepEnum.False,
            participantLabel: slots[1],
            statusCallback: conferenceEventsUrl,
            statusCallbackMethod: Twilio.Http.HttpMethod.Post,
            statusCallbackEvent: Events))), conferenceName, agentId);

    /// <summary>The leg has nothing left to join (the caller hung up meanwhile).</summary>
    public static string Goodbye() => TwimlTemplate.Render(nameof(Goodbye), _ => new VoiceResponse().Say("This call has ended.").Hangup());
}
