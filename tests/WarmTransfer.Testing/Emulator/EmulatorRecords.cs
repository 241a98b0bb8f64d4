using System.Text.Json.Serialization;
using System.Web;

namespace WarmTransfer.Testing;

/// <summary>
/// An entry of the emulator's event log: a REST request as it arrived, a webhook as it was sent, a call or conference
/// event, an error, or a callback that was never delivered (<c>dropped</c>).
/// </summary>
/// <param name="Delivery">How a callback was delivered under the delivery rules: "delayed 120 ms", "duplicate", "retried".</param>
/// <param name="Seed">The delivery seed in force.</param>
/// <param name="Fault">The REST fault injected into this request, if any.</param>
public sealed record EmulatorEvent(
    long Sequence,
    DateTimeOffset Timestamp,
    string Kind,
    string? Method,
    string? Url,
    int? StatusCode,
    IReadOnlyDictionary<string, string>? Parameters,
    string? Response,
    string? CallSid,
    string? ConferenceSid,
    int? ErrorCode,
    string? Message,
    string? TraceParent = null,
    string? Delivery = null,
    int? Seed = null,
    string? Fault = null)
{
    public string Parameter(string name) => Parameters?.GetValueOrDefault(name) ?? string.Empty;

    /// <summary>
    /// For a call to an agent the dialer created (a successful <c>POST Calls.json</c>), the customer's conference its
    /// status callback names; otherwise null.
    /// </summary>
    public string? AgentCallConference =>
        this is { Kind: "rest", Message: "POST Calls.json", StatusCode: 201 } ? CallbackQuery(Parameter("StatusCallback"), "session") : null;

    /// <summary>
    /// Like <see cref="AgentCallConference"/>, for an agent's call that was made although its creation went unanswered: the answer
    /// was held back (the acted-then-slow fault) until the client stopped waiting.
    /// </summary>
    public string? UnansweredAgentCallConference =>
        this is { Kind: "rest", Message: "POST Calls.json", StatusCode: null, Fault: "acted-then-slow" } ? CallbackQuery(Parameter("StatusCallback"), "session") : null;

    /// <summary>For a call joining a conference, the conference's friendly name (ours are named after the customer's call); otherwise null.</summary>
    public string? JoinedConference =>
        this is { Kind: "conference", CallSid: { } call, Message: { } message } && message.StartsWith($"{call} joined ", StringComparison.Ordinal)
            ? message[(call.Length + " joined ".Length)..]
            : null;

    internal static string? CallbackQuery(string? url, string name) =>
        Uri.TryCreate(url, UriKind.Absolute, out var callback) ? HttpUtility.ParseQueryString(callback.Query)[name] : null;
}

/// <summary>The emulator's view of the account: <c>GET /admin/state</c>.</summary>
public sealed record EmulatorState(
    EmulatorNumber? Number,
    IReadOnlyList<EmulatorCall> Calls,
    IReadOnlyList<EmulatorConference> Conferences,
    IReadOnlyList<EmulatorDevice> Devices,
    DeliverySettings? Delivery = null);

public sealed record EmulatorNumber(string PhoneNumber, string? VoiceUrl, string? VoiceMethod);

/// <param name="ConferenceSid">The conference the call is in now.</param>
public sealed record EmulatorCall(
    string Sid, string From, string To, string Direction, string Status, string? StatusCallback = null, string? ConferenceSid = null)
{
    /// <summary>queued, ringing or in-progress: not ended.</summary>
    public bool IsLive => Status is "queued" or "ringing" or "in-progress";

    /// <summary>For a call to <c>client:{agent}</c>, the agent; otherwise null.</summary>
    public string? ClientIdentity => To.StartsWith("client:", StringComparison.Ordinal) ? To["client:".Length..] : null;

    /// <summary>A parameter of the status callback's query (the dialer names the call session <c>session</c> and its leg <c>leg</c>).</summary>
    public string? CallbackParameter(string name) => EmulatorEvent.CallbackQuery(StatusCallback, name);
}

public sealed record EmulatorConference(
    string Sid, string FriendlyName, string Status, string? ReasonConferenceEnded, string? CallSidEndingConference,
    IReadOnlyList<EmulatorParticipant> Participants);

/// <param name="Audio">What the participant hears: wait-music, hold-music, conference or silence.</param>
public sealed record EmulatorParticipant(
    string CallSid, string? Label, string Status, bool StartConferenceOnEnter, bool EndConferenceOnExit, bool Muted, bool Hold, string Audio)
{
    public bool IsConnected => Status == "connected";

    /// <summary><c>customer:start=False,end=True,hold=False,audio=conference</c>.</summary>
    public string Summary => $"{Label}:start={StartConferenceOnEnter},end={EndConferenceOnExit},hold={Hold},audio={Audio}";
}

public sealed record EmulatorDevice(string Id, string Identity, DateTimeOffset? TokenExpires);

/// <summary>A call to an agent's client: which agent, for which customer's conference and dial request, and its status now.</summary>
public sealed record AgentCall(string AgentId, string Conference, string Request, string Status);

/// <summary>
/// Faults on one REST endpoint ("POST Calls.json"): added latency, shares of 500 and 429 answers given without acting,
/// and shares of requests Twilio acts on and then answers 500 (<see cref="ActedThenErrorRate"/>) or answers only after
/// <see cref="SlowMilliseconds"/> (<see cref="ActedThenSlowRate"/>).
/// </summary>
public sealed record FaultRule(
    string Endpoint,
    int LatencyMilliseconds = 0,
    double ErrorRate = 0,
    double TooManyRequestsRate = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] double ActedThenErrorRate = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] double ActedThenSlowRate = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int SlowMilliseconds = 0)
{
    public const string CreateCall = "POST Calls.json";
    public const string UpdateCall = "POST Calls/{Sid}.json";
    public const string UpdateParticipant = "POST Conferences/{ConferenceSid}/Participants/{CallSid}.json";
}

/// <summary>
/// How the emulator delivers callbacks: in order one at a time (the default), or <see cref="Concurrent"/> with up to
/// <see cref="MaxJitterMs"/> of delay each, some never (<see cref="Lossy"/>, <see cref="DropRate"/>), some twice
/// (<see cref="Duplicate"/>, <see cref="DuplicateRate"/>); <see cref="Seed"/> makes the choices repeatable.
/// </summary>
public sealed record DeliverySettings(
    bool Concurrent, bool Lossy, bool Duplicate, int? Seed, int MaxJitterMs = 0, double DropRate = 0, double DuplicateRate = 0);
