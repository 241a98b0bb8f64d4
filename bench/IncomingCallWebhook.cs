using System.Security.Cryptography;

namespace WarmTransfer.Benchmarks;

/// <summary>
/// The webhook Twilio sends when a customer calls the support number, signed with the account's auth token; and the
/// conference's end Twilio reports when that customer hangs up, so a benchmark leaves no caller behind.
/// </summary>
public sealed class IncomingCallWebhook(Uri baseUrl, string authToken, string path = "/voice/incoming")
{
    private readonly Uri _url = new(baseUrl, path);
    private readonly Uri _conferenceEvents = new(baseUrl, "/voice/conference-events");

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

    /// <summary>The customer hung up: their conference (named after their call) ended.</summary>
    public HttpRequestMessage ConferenceEnded(string callSid) =>
        TwilioSignature.SignedPost(authToken, _conferenceEvents, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AccountSid"] = "AC00000000000000000000000000000001",
            ["ConferenceSid"] = "CF" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["FriendlyName"] = callSid,
            ["StatusCallbackEvent"] = "conference-end",
            ["SequenceNumber"] = "1",
            ["ReasonConferenceEnded"] = "participant-with-end-conference-on-exit-left",
            ["CallSidEndingConference"] = callSid,
        });

    public static string NewCallSid() => TwilioSignature.NewCallSid();

    public static string Number(long i) => $"+1555{i % 10_000_000:0000000}";
}
