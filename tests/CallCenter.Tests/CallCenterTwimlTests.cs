using System.Xml.Linq;
using WarmTransfer.CallCenter.Voice;
using WarmTransfer.CallCenter.Waiting;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>Each leg's TwiML carries its own call's values, written as XML, however many documents of the same shape came before.</summary>
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

    private static XElement Conference(string twiml) => XDocument.Parse(twiml).Root!.Descendants("Conference").Single();
}
