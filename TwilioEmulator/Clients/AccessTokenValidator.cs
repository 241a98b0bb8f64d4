using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace WarmTransfer.TwilioEmulator.Clients;

/// <summary>The outcome of presenting an AccessToken: the identity, or Twilio's error code and why.</summary>
public sealed record TokenCheck(string? Identity, DateTimeOffset? Expires, int ErrorCode, string? Error)
{
    public bool IsValid => Identity is not null;
}

/// <summary>
/// Checks a Twilio AccessToken as Twilio does for a Voice SDK device: an HS256 JWT signed with the API key
/// secret, issued by the API key for the account, not expired, living at most 24 hours, with an identity and an
/// incoming voice grant. A refusal carries the code the Voice SDK surfaces: 20104 when the token expired, 20157 when its
/// expiry is more than 24 hours after it was issued, 20101 for anything else.
/// </summary>
public sealed class AccessTokenValidator(IOptions<EmulatorOptions> options, TimeProvider time)
{
    /// <summary>Twilio's longest AccessToken lifetime.</summary>
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromHours(24);

    public TokenCheck Check(string? token)
    {
        var parts = token?.Split('.') ?? [];
        if (parts.Length != 3)
        {
            return Invalid(20101, "Invalid Access Token: not a JWT");
        }

        var account = options.Value;
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(account.ApiKeySecret), Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"));
        byte[] signature;
        JsonElement header, payload;
        try
        {
            signature = Base64Url.DecodeFromChars(parts[2]);
            header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement;
            payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement;
        }
        catch (Exception exception) when (exception is FormatException or JsonException)
        {
            return Invalid(20101, "Invalid Access Token: malformed");
        }

        if (Text(header, "alg") != "HS256" || !CryptographicOperations.FixedTimeEquals(signature, expected))
        {
            return Invalid(20101, "Invalid Access Token: bad signature");
        }

        if (Text(payload, "iss") != account.ApiKeySid || Text(payload, "sub") != account.AccountSid)
        {
            return Invalid(20101, "Invalid Access Token: wrong issuer or subject");
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (!payload.TryGetProperty("exp", out var exp) || !exp.TryGetInt64(out var expires) || expires <= now)
        {
            return Invalid(20104, "Access Token expired or expiration date invalid");
        }

        // Issued-at when the token says, otherwise now: either way the expiry may be at most 24 hours on.
        var issued = payload.TryGetProperty("iat", out var iat) && iat.TryGetInt64(out var issuedAt) ? Math.Min(issuedAt, now) : now;
        if (expires - issued > (long)MaximumLifetime.TotalSeconds)
        {
            return Invalid(20157, "Expiration Time Exceeds Maximum Time Allowed: more than 24 hours after the token was issued");
        }

        if (payload.TryGetProperty("nbf", out var nbf) && nbf.TryGetInt64(out var notBefore) && notBefore > now)
        {
            return Invalid(20101, "Invalid Access Token: not valid yet");
        }

        if (!payload.TryGetProperty("grants", out var grants) || Text(grants, "identity") is not { Length: > 0 } identity)
        {
            return Invalid(20101, "Invalid Access Token: no identity");
        }

        var incoming = grants.TryGetProperty("voice", out var voice) && voice.TryGetProperty("incoming", out var grant)
            && grant.TryGetProperty("allow", out var allow) && allow.ValueKind == JsonValueKind.True;
        if (!incoming)
        {
            return Invalid(20101, "Invalid Access Token grants: no voice grant allowing incoming calls");
        }

        return new TokenCheck(identity, DateTimeOffset.FromUnixTimeSeconds(expires), 0, null);
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static TokenCheck Invalid(int code, string error) => new(null, null, code, error);
}
