using System.Security.Cryptography;
using System.Text;

namespace WarmTransfer.Testing;

/// <summary>Webhooks signed as Twilio signs them, for tests and load that play Twilio's part.</summary>
public static class TwilioSignature
{
    /// <summary><c>X-Twilio-Signature</c>: base64 of HMAC-SHA1 with the auth token over the URL and the POST parameters sorted by name.</summary>
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(name).Append(value);
        }

        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    /// <summary>A form POST to <paramref name="url"/> with its signature.</summary>
    public static HttpRequestMessage SignedPost(string authToken, Uri url, IReadOnlyDictionary<string, string> parameters)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(parameters) };
        request.Headers.Add("X-Twilio-Signature", Compute(authToken, url.ToString(), parameters));
        return request;
    }

    /// <summary>A new call SID: <c>CA</c> and 32 hex digits.</summary>
    public static string NewCallSid() => "CA" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
