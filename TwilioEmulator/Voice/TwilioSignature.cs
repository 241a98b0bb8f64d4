using System.Security.Cryptography;
using System.Text;

namespace WarmTransfer.TwilioEmulator.Voice;

/// <summary>
/// <c>X-Twilio-Signature</c>: base64(HMAC-SHA1(auth token, URL + every POST parameter as key and value,
/// keys in ordinal order, no separators)).
/// </summary>
public static class TwilioSignature
{
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> postParameters)
    {
        var data = new StringBuilder(url);
        foreach (var (key, value) in postParameters.OrderBy(parameter => parameter.Key, StringComparer.Ordinal))
        {
            data.Append(key).Append(value);
        }

        var hash = HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString()));
        return Convert.ToBase64String(hash);
    }
}
