using System.Xml;
using System.Xml.Linq;

namespace WarmTransfer.TwilioEmulator.Voice;

/// <summary>A TwiML document that parsed: the verbs under &lt;Response&gt;.</summary>
public sealed record TwimlDocument(IReadOnlyList<XElement> Verbs);

public sealed class TwimlException(int code, string message) : Exception(message)
{
    /// <summary>
    /// Twilio's error code: 11100 invalid URL, 11200 HTTP retrieval failure, 11750 response body too large, 12100 document
    /// parse failure, 12200 schema validation, 13238 a verb wait or hold TwiML may not hold, 14106 document retrieval limit.
    /// </summary>
    public int Code { get; } = code;
}

public static class Twiml
{
    public static readonly IReadOnlySet<string> Verbs = new HashSet<string>(StringComparer.Ordinal)
    {
        "Say", "Play", "Pause", "Redirect", "Hangup", "Reject", "Dial", "Gather", "Record", "Enqueue", "Leave", "Sms",
        "Connect", "Refer", "Pay", "Prompt", "Start", "Stop", "Echo", "Queue",
    };

    /// <summary>What a wait URL, hold URL or announce URL may contain.</summary>
    public static readonly IReadOnlySet<string> MediaVerbs = new HashSet<string>(StringComparer.Ordinal)
    {
        "Say", "Play", "Pause", "Redirect",
    };

    public static TwimlDocument Parse(string xml)
    {
        XDocument document;
        try
        {
            document = XDocument.Parse(xml);
        }
        catch (XmlException exception)
        {
            throw new TwimlException(12100, $"Document parse failure: {exception.Message}");
        }

        if (document.Root is not { Name.LocalName: "Response" } root)
        {
            throw new TwimlException(12100, "Document parse failure: the root element must be <Response>.");
        }

        foreach (var verb in root.Elements())
        {
            if (!Verbs.Contains(verb.Name.LocalName))
            {
                throw new TwimlException(12200, $"Schema validation warning: <{verb.Name.LocalName}> is not a TwiML verb.");
            }
        }

        return new TwimlDocument(root.Elements().ToList());
    }

    public static string? Attribute(XElement element, string name) => element.Attribute(name)?.Value;

    public static bool BoolAttribute(XElement element, string name, bool defaultValue) =>
        element.Attribute(name)?.Value is { } value ? string.Equals(value, "true", StringComparison.OrdinalIgnoreCase) : defaultValue;

    public static int IntAttribute(XElement element, string name, int defaultValue) =>
        int.TryParse(element.Attribute(name)?.Value, out var value) ? value : defaultValue;
}
