using System.Text.RegularExpressions;
using Microsoft.Extensions.Primitives;

namespace WarmTransfer.TwilioEmulator.Rest;

/// <summary>A form-encoded Twilio request body, read the way Twilio reads it.</summary>
public sealed partial class TwilioForm(IFormCollection form)
{
    /// <summary>Set when the body could not be read as a form: the request is answered with this 400.</summary>
    public TwilioJsonResult? Malformed { get; private init; }

    public static async Task<TwilioForm> ReadAsync(HttpRequest request)
    {
        if (!request.HasFormContentType)
        {
            return new(FormCollection.Empty);
        }

        try
        {
            return new(await request.ReadFormAsync());
        }
        catch (Exception exception) when (exception is InvalidDataException or BadHttpRequestException)
        {
            // Multipart without a boundary, too many or too long fields, a body cut short: the client's error, not ours.
            return new(FormCollection.Empty)
            {
                Malformed = TwilioResults.Invalid(400, "Bad Request: the request body could not be read as a form."),
            };
        }
    }

    public string? this[string key] => form.TryGetValue(key, out var value) && !StringValues.IsNullOrEmpty(value) ? value.ToString() : null;

    public bool Has(string key) => form.ContainsKey(key);

    /// <summary>A repeated key or a space-separated value, as StatusCallbackEvent may be.</summary>
    public string?[] All(string key) => form.TryGetValue(key, out var values) ? [.. values] : [];

    /// <summary>true or false; anything else is false, as on Twilio. Null when absent.</summary>
    public bool? Bool(string key) => this[key] is { } value ? string.Equals(value, "true", StringComparison.OrdinalIgnoreCase) : null;

    /// <summary>A webhook method: GET when it says GET, otherwise POST, as Twilio treats it.</summary>
    public string Method(string key) => string.Equals(this[key], "GET", StringComparison.OrdinalIgnoreCase) ? "GET" : "POST";

    public IReadOnlyDictionary<string, string> ToDictionary() =>
        form.ToDictionary(pair => pair.Key, pair => pair.Value.ToString(), StringComparer.Ordinal);

    public static bool IsE164(string value) => E164().IsMatch(value);

    public static bool IsClient(string value) => Client().IsMatch(value);

    public static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    [GeneratedRegex(@"^\+[1-9]\d{1,14}$")]
    private static partial Regex E164();

    [GeneratedRegex(@"^client:[A-Za-z0-9_.@\-]{1,121}$")]
    private static partial Regex Client();
}
