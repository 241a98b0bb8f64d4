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

    /// <summary>Gets a TwiML document, inline or from a URL, and parses it.</summary>
    public async Task<TwimlDocument> FetchAsync(
        Call call, TwimlSource source, string kind, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        if (source.Twiml is { } inline)
        {
            return Twiml.Parse(inline);
        }

        var response = await webhooks.SendAsync(kind, source.Url!, source.Method, parameters, call.Sid, null, cancellationToken);
        if (!response.IsSuccess)
        {
            throw new TwimlException(11200,
                $"HTTP retrieval failure: {source.Url} answered {(response.StatusCode == 0 ? response.Error : response.StatusCode.ToString(CultureInfo.InvariantCulture))}");
        }

        return Twiml.Parse(response.Body);
    }

    /// <summary>Say, Play and Pause take simulated time; a loop of 0 plays until interrupted.</summary>
    public async Task PlayAsync(XElement verb, CancellationToken cancellationToken)
    {
        var settings = timing.Value;
        switch (verb.Name.LocalName)
        {
            case "Pause":
                var seconds = Twiml.IntAttribute(verb, "length", 1);
                await Task.Delay(TimeSpan.FromSeconds(seconds * settings.PauseScale), time, cancellationToken);
                break;
            case "Say" or "Play":
                var loop = Twiml.IntAttribute(verb, "loop", 1);
                var once = verb.Name.LocalName == "Say" ? settings.SayDuration : settings.PlayDuration;
                await Task.Delay(loop <= 0 ? Timeout.InfiniteTimeSpan : once * loop, time, cancellationToken);
                break;
        }
    }
}
