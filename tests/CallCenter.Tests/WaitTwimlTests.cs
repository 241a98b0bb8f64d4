using System.Xml.Linq;
using WarmTransfer.CallCenter.Voice;
using WarmTransfer.CallCenter.Waiting;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>The waiting caller's wait TwiML: only what Twilio allows in conference wait TwiML, looping back to itself.</summary>
public sealed class WaitTwimlTests
{
    private static readonly Uri Music = new("https://example.com/media/hold-music.wav");
    private static readonly Uri WaitUrl = new("https://example.com/voice/wait");

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
}
