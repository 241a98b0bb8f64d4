using System.Collections.Concurrent;
using System.Security;
using System.Text;
using System.Text.RegularExpressions;
using Twilio.TwiML;

namespace WarmTransfer.CallCenter.Voice;

/// <summary>
/// A TwiML document the SDK rendered once, with a slot wherever a per-call value goes, filled in on each request with the
/// values XML-escaped. The SDK writes its document through a new <see cref="System.Xml.XmlWriter"/> every time: for the
/// incoming-call webhook that was 44% of every byte the service allocated (allocation ticks under the webhook benchmark), while
/// one call's document differs from the next only in a name or two.
/// </summary>
internal sealed partial class TwimlTemplate
{
    private static readonly ConcurrentDictionary<string, TwimlTemplate> Rendered = new(StringComparer.Ordinal);

    // The text around the slots, and which value goes after each part but the last.
    private readonly string[] _parts;
    private readonly int[] _slots;

    private TwimlTemplate(string rendered)
    {
        var parts = new List<string>();
        var slots = new List<int>();
        var at = 0;
        foreach (Match slot in SlotMarker().Matches(rendered))
        {
            parts.Add(rendered[at..slot.Index]);
            slots.Add(int.Parse(slot.Groups[1].ValueSpan, provider: System.Globalization.CultureInfo.InvariantCulture));
            at = slot.Index + slot.Length;
        }

        parts.Add(rendered[at..]);
        _parts = [.. parts];
        _slots = [.. slots];
    }

    /// <summary>
    /// The document <paramref name="build"/> makes with <paramref name="values"/>. <paramref name="shape"/> names everything
    /// else it is built from (the kind of document, and every setting or URL it uses): one shape is rendered by the SDK once.
    /// </summary>
    public static string Render(string shape, Func<IReadOnlyList<string>, VoiceResponse> build, params string[] values)
    {
        var template = Rendered.GetOrAdd(shape, static (_, arguments) =>
            new TwimlTemplate(arguments.build([.. Enumerable.Range(0, arguments.count).Select(Marker)]).ToString()), (build, count: values.Length));
        return template.Fill(values);
    }

    private string Fill(string[] values)
    {
        var escaped = Array.ConvertAll(values, value => SecurityElement.Escape(value) ?? string.Empty);
        var text = new StringBuilder(_parts.Sum(part => part.Length) + _slots.Sum(slot => escaped[slot].Length));
        for (var i = 0; i < _slots.Length; i++)
        {
            text.Append(_parts[i]).Append(escaped[_slots[i]]);
        }

        return text.Append(_parts[^1]).ToString();
    }

    // Letters, digits and underscores only: the SDK writes them unchanged in an attribute or in text.
    private static string Marker(int slot) => $"__twiml_slot_{slot}__";

    [GeneratedRegex("__twiml_slot_([0-9]+)__")]
    private static partial Regex SlotMarker();
}
