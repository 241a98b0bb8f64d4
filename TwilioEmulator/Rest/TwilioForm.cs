using System.Text.RegularExpressions;
using Microsoft.Extensions.Primitives;

namespace WarmTransfer.TwilioEmulator.Rest;

/// <summary>A form-encoded Twilio request body, read the way Twilio reads it.</summary>
public sealed partial class TwilioForm(IFormCollection form)
{
    public static async Task<TwilioForm> ReadAsync(HttpRequest request) =>
        new(request.HasFormContentType ? await request.ReadFormAsync() : FormCollection.Empty);

    public string? this[string key] => form.TryGetValue(key, out var value) && !StringValues.IsNullOrEmpty(value) ? value.ToString() : null;

    public bool Has(string key) => form.ContainsKey(key);

    /// <summary>A repeated key or a space-separated value, as StatusCallbackEvent may be.</summary>
    public string?[] All(string key) => form.TryGetValue(key, out var values) ? [.. values] : [];

    /// <summary>true or false; anything else is false, as on Twilio. Null when absent.</summary>
    public bool? Bool(string key) => this[key] is { } value ? string.Equals(value, "true", StringComparison.OrdinalIgnoreCase) : null;

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
