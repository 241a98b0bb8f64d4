using System.Xml.Linq;
using WarmTransfer.CallCenter.Voice;
using WarmTransfer.CallCenter.Waiting;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>
/// Each leg's TwiML carries its own call's values, written as XML, however many documents of the same shape came before; a waiting
/// caller's wait TwiML holds only what Twilio allows in conference wait TwiML, looping back to itself.
/// </summary>
public sealed class CallCenterTwimlTests
{
    private static readonly Uri Events = new("https://example.com/voice/conference-events?x=1&y=2");
    private static readonly Uri Music = new("https://example.com/media/hold-music.wav");
    private static readonly Uri WaitUrl = new("https://example.com/voice/wait");

    [Fact]
    public void Each_agent_joins_the_conference_of_their_own_call_under_their_own_label()
    {
        var first = Conference(CallCenterTwiml.AgentConference("CA00000000000000000000000000000001", "agent1", Events));
        var second = Conference(CallCenterTwiml.AgentConference("CA00000000000000000000000000000002", "agent_2", Events));

        Assert.Equal(("CA00000000000000000000000000000001", "agent1"), (first.Value, (string?)first.Attribute("participantLabel")));
        Assert.Equal(("CA00000000000000000000000000000002", "agent_2"), (second.Value, (string?)second.Attribute("participantLabel")));
        Assert.Equal((Events.ToString(), "true", "false"),
            ((string?)second.Attribute("statusCallback"), (string?)second.Attribute("startConferenceOnEnter"), (string?)second.Attribute("endConferenceOnExit")));
    }

    [Fact]
    public void A_caller_asked_to_try_again_hears_a_moment_of_silence_then_twilio_asks_again_by_post()
    {
        var retry = new Uri("https://support.example.com/voice/incoming");
        var verbs = XDocument.Parse(CallCenterTwiml.TryAgainShortly(retry)).Root!.Elements().ToList();

        Assert.Equal(["Pause", "Redirect"], verbs.Select(verb => verb.Name.LocalName));
        Assert.Equal(("1", retry.ToString(), "POST"), ((string?)verbs[0].Attribute("length"), verbs[1].Value, (string?)verbs[1].Attribute("method")));
    }

    [Fact]
    public void Text_with_xml_characters_reaches_the_caller_as_written()
    {
        const string greeting = "Thanks for calling A&B <support>, \"we're\" here.";
        var says = XDocument.Parse(CallCenterTwiml.Wait(new WaitPrompt(greeting, "You are caller number 3."), null, null, Music, 2, WaitUrl))
            .Root!.Elements("Say").Select(say => say.Value);
        var next = XDocument.Parse(CallCenterTwiml.Wait(new WaitPrompt(null, "You are caller number 2."), null, null, Music, 2, WaitUrl))
            .Root!.Elements("Say").Select(say => say.Value);

        Assert.Equal([greeting, "You are caller number 3."], says);
        Assert.Equal(["You are caller number 2."], next);
    }

    [Fact]
    public void A_callers_conference_is_named_after_their_call_before_and_after_a_callback_offer()
    {
        var waiting = Conference(CallCenterTwiml.CustomerConference("CA0000000000000000000000000000000a", Music, Events));
        var offered = XDocument.Parse(CallCenterTwiml.OfferCallback("Press 1.", null, null, WaitUrl, "CA0000000000000000000000000000000b", Music, Events)).Root!;

        Assert.Equal(("CA0000000000000000000000000000000a", CallCenterTwiml.CustomerLabel), (waiting.Value, (string?)waiting.Attribute("participantLabel")));
        Assert.Equal(["Gather", "Dial"], offered.Elements().Select(verb => verb.Name.LocalName));
        Assert.Equal("CA0000000000000000000000000000000b", offered.Descendants("Conference").Single().Value);
    }

    [Fact]
    public void A_pass_says_the_greeting_and_announcement_plays_the_music_and_redirects_to_the_next_pass()
    {
        var twiml = XDocument.Parse(CallCenterTwiml.Wait(new WaitPrompt("Thank you for calling.", "You are caller number 2."), "Polly.Joanna", "en-US",
            Music, 3, WaitUrl)).Root!;

        Assert.Equal(["Say", "Say", "Play", "Redirect"], twiml.Elements().Select(verb => verb.Name.LocalName));
        var says = twiml.Elements("Say").ToList();
        Assert.Equal(["Thank you for calling.", "You are caller number 2."], says.Select(say => say.Value));
        Assert.All(says, say => Assert.Equal(("Polly.Joanna", "en-US"), ((string?)say.Attribute("voice"), (string?)say.Attribute("language"))));
        Assert.Equal((Music.ToString(), "3"), (twiml.Element("Play")!.Value, (string?)twiml.Element("Play")!.Attribute("loop")));
        Assert.Equal((WaitUrl.ToString(), "POST"), (twiml.Element("Redirect")!.Value, (string?)twiml.Element("Redirect")!.Attribute("method")));
    }

    [Fact]
    public void A_pass_with_nothing_to_say_plays_the_music_only_in_the_default_voice()
    {
        var twiml = XDocument.Parse(CallCenterTwiml.Wait(new WaitPrompt(null, null), null, null, Music, 1, WaitUrl)).Root!;

        Assert.Equal(["Play", "Redirect"], twiml.Elements().Select(verb => verb.Name.LocalName));
    }

    private static XElement Conference(string twiml) => XDocument.Parse(twiml).Root!.Descendants("Conference").Single();
}
