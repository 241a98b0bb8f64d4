using System.Globalization;
using System.Xml.Linq;
using Microsoft.Extensions.Options;
using WarmTransfer.TwilioEmulator.Model;

namespace WarmTransfer.TwilioEmulator.Voice;

/// <summary>What calls and conference legs share: the voice parameters, fetching TwiML, simulated media time.</summary>
public sealed class VoiceMedia(
    EmulatorState state,
    WebhookClient webhooks,
    IOptions<EmulatorTimingOptions> timing,
    EventLog events,
    TimeProvider time)
{
    public const string ApiVersion = "2010-04-01";

    /// <summary>The parameters every voice request carries.</summary>
    public Dictionary<string, string> VoiceParameters(Call call)
    {
        lock (state.Sync)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["AccountSid"] = call.AccountSid,
                ["ApiVersion"] = ApiVersion,
                ["CallSid"] = call.Sid,
                ["CallStatus"] = call.Status,
                ["Called"] = call.To,
                ["Caller"] = call.From,
                ["Direction"] = call.Direction,
                ["From"] = call.From,
                ["To"] = call.To,
            };
        }
    }

    /// <summary>Longest &lt;Pause&gt; Twilio takes, in seconds.</summary>
    public const int MaxPauseSeconds = 600;

    /// <summary>Most passes of a &lt;Say&gt; or &lt;Play&gt; the emulator runs; 0 still means until interrupted.</summary>
    public const int MaxLoop = 1000;

    /// <summary>Gets a TwiML document, from its URL or else inline, and parses it.</summary>
    public Task<TwimlDocument> FetchAsync(
        Call call, TwimlSource source, string kind, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken) =>
        FetchAsync(call, source, kind, parameters, audioPlays: false, cancellationToken);

    /// <summary>A wait or hold URL's TwiML; such a URL may answer with an audio file instead, which then plays in a loop.</summary>
    public Task<TwimlDocument> FetchMusicAsync(
        Call call, TwimlSource source, string kind, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken) =>
        FetchAsync(call, source, kind, parameters, audioPlays: true, cancellationToken);

    private async Task<TwimlDocument> FetchAsync(
        Call call, TwimlSource source, string kind, IReadOnlyDictionary<string, string> parameters, bool audioPlays,
        CancellationToken cancellationToken)
    {
        // A Url wins over inline TwiML, as on Twilio.
        if (source.Url is not { } url)
        {
            return Twiml.Parse(source.Twiml ?? string.Empty);
        }

        var response = await webhooks.SendAsync(kind, url, source.Method, parameters, call.Sid, null, cancellationToken);
        if (!response.IsSuccess)
        {
            throw new TwimlException(11200,
                $"HTTP retrieval failure: {url} answered {(response.StatusCode == 0 ? response.Error : response.StatusCode.ToString(CultureInfo.InvariantCulture))}");
        }

        if (audioPlays && response.IsAudio)
        {
            return new TwimlDocument([new XElement("Play", new XAttribute("loop", "0"), url)]);
        }

        if (response.TooLarge)
        {
            throw new TwimlException(11750, $"TwiML response body too large: {url} answered more than {WebhookClient.MaxBodyBytes / 1024} kB");
        }

        return Twiml.Parse(response.Body);
    }

    /// <summary>
    /// Say, Play and Pause take simulated time; a loop of 0 plays until interrupted. Out-of-range numbers are brought into range.
    /// What a Say says is written to the event log (kind <c>say</c>, its text, voice and language), as a caller would hear it.
    /// </summary>
    public async Task PlayAsync(XElement verb, Call call, string? conferenceSid, CancellationToken cancellationToken)
    {
        var settings = timing.Value;
        if (verb.Name.LocalName == "Say")
        {
            var spoken = new Dictionary<string, string>();
            foreach (var name in new[] { "voice", "language" })
            {
                if (Twiml.Attribute(verb, name) is { } value)
                {
                    spoken[name] = value;
                }
            }

            events.Add("say", callSid: call.Sid, conferenceSid: conferenceSid, message: verb.Value.Trim(), parameters: spoken);
        }

        switch (verb.Name.LocalName)
        {
            case "Pause":
                var seconds = Math.Clamp(Twiml.IntAttribute(verb, "length", 1), 0, MaxPauseSeconds);
                await Task.Delay(TimeSpan.FromSeconds(seconds * settings.PauseScale), time, cancellationToken);
                break;
            case "Say" or "Play":
                var loop = Twiml.IntAttribute(verb, "loop", 1) switch
                {
                    < 0 => 1,
                    var count => Math.Min(count, MaxLoop),
                };
                var once = verb.Name.LocalName == "Say" ? settings.SayDuration : settings.PlayDuration;
                await Task.Delay(loop == 0 ? Timeout.InfiniteTimeSpan : once * loop, time, cancellationToken);
                break;
        }
    }
}
