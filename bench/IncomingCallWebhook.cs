namespace WarmTransfer.Benchmarks;

/// <summary>The webhook Twilio sends when a customer calls the support number, signed with the account's auth token.</summary>
public sealed class IncomingCallWebhook(Uri baseUrl, string authToken)
{
    private const string Path = "/voice/incoming";
    private readonly Uri _url = new(baseUrl, Path);

    public HttpRequestMessage Create(string callSid, string from) =>
        TwilioSignature.SignedPost(authToken, _url, new Dictionary<string, string>(StringComparer.Ordinal)
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
        });

    public static string NewCallSid() => TwilioSignature.NewCallSid();

    public static string Number(long i) => $"+1555{i % 10_000_000:0000000}";
}
