using System.Security.Cryptography;
using System.Text;

namespace WarmTransfer.Benchmarks;

/// <summary>The webhook Twilio sends when a customer calls the support number, signed with the account's auth token.</summary>
public sealed class IncomingCallWebhook(Uri baseUrl, string authToken)
{
    private const string Path = "/voice/incoming";
    private readonly byte[] _key = Encoding.UTF8.GetBytes(authToken);
    private readonly string _url = new Uri(baseUrl, Path).ToString();

    public HttpRequestMessage Create(string callSid, string from)
    {
        var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["AccountSid"] = "AC00000000000000000000000000000001",
            ["ApiVersion"] = "2010-04-01",
            ["CallSid"] = callSid,
            ["CallStatus"] = "ringing",
            ["Called"] = "+15005550006",
            ["Caller"] = from,
            ["Direction"] = "inbound",
            ["From"] = from,
            ["To"] = "+15005550006",
        };
        var signed = new StringBuilder(_url);
        foreach (var (name, value) in parameters)
        {
            signed.Append(name).Append(value);
        }

        var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new FormUrlEncodedContent(parameters) };
        request.Headers.Add("X-Twilio-Signature", Convert.ToBase64String(HMACSHA1.HashData(_key, Encoding.UTF8.GetBytes(signed.ToString()))));
        return request;
    }

    public static string NewCallSid() => "CA" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string Number(long i) => $"+1555{i % 10_000_000:0000000}";
}
