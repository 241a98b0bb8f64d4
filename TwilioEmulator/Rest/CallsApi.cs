using System.Globalization;
using Microsoft.Extensions.Options;
using WarmTransfer.TwilioEmulator.Model;
using WarmTransfer.TwilioEmulator.Voice;

namespace WarmTransfer.TwilioEmulator.Rest;

public static class CallsApi
{
    /// <summary>Twilio's limit on the Twiml parameter (error 32018 above it).</summary>
    public const int MaxTwimlLength = 4000;

    private static readonly HashSet<string> CallProgressEvents = ["initiated", "ringing", "answered", "completed"];

    public static void MapCallsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/Calls.json", List);
        api.MapPost("/Calls.json", CreateAsync);
        api.MapGet("/Calls/{Sid}.json", Fetch);
        api.MapPost("/Calls/{Sid}.json", UpdateAsync);
    }

    private static async Task<TwilioJsonResult> CreateAsync(
        HttpRequest request, CallEngine calls, EmulatorState state, EventLog events, IOptions<EmulatorOptions> options)
    {
        var form = await TwilioForm.ReadAsync(request);
        if ((ValidateDial(form, options.Value, requireInstructions: true) ?? ValidateTwiml(form)) is { } invalid)
        {
            return invalid;
        }

        // "If both twiml and url are provided then twiml parameter will be ignored."
        var url = form["Url"];
        var call = calls.PlaceOutbound(new OutboundCallRequest(
            From: form["From"]!,
            To: form["To"]!,
            Instructions: new TwimlSource(url, form.Method("Method"), url is null ? form["Twiml"] : null),
            StatusCallback: form["StatusCallback"],
            StatusCallbackMethod: form.Method("StatusCallbackMethod"),
            StatusCallbackEvents: StatusCallbackEvents(form, "StatusCallbackEvent"),
            Timeout: Timeout(form, minimumSeconds: 1)));
        if (url is not null && form["Twiml"] is not null)
        {
            events.Add("error", callSid: call.Sid, errorCode: 32019, message: "Twiml and Url are both set. Using Url.");
        }

        return state.Read(() => TwilioResults.Created(TwilioResources.Call(call)));
    }

    /// <summary>What Twilio checks before it dials: To, From, the TwiML source and the callback URL.</summary>
    public static TwilioJsonResult? ValidateDial(TwilioForm form, EmulatorOptions account, bool requireInstructions)
    {
        var to = form["To"];
        if (to is null)
        {
            return TwilioResults.Invalid(21201, "No 'To' number is specified");
        }

        if (!TwilioForm.IsE164(to) && !TwilioForm.IsClient(to))
        {
            return TwilioResults.Invalid(21211, $"Invalid 'To' Phone Number: {to}");
        }

        var from = form["From"];
        if (from is null)
        {
            return TwilioResults.Invalid(21213, "Caller phone number is required");
        }

        if (!TwilioForm.IsE164(from) && !TwilioForm.IsClient(from))
        {
            return TwilioResults.Invalid(21212, $"Invalid From Number (caller ID): {from}");
        }

        if (TwilioForm.IsE164(to) && !TwilioForm.IsE164(from))
        {
            return TwilioResults.Invalid(21212, $"Invalid From Number (caller ID): {from}. If the 'To' parameter is a phone number, 'From' must also be a phone number.");
        }

        if (TwilioForm.IsE164(from) && from != account.PhoneNumber)
        {
            return TwilioResults.Invalid(21210, $"The source phone number provided, {from}, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio.");
        }

        if (requireInstructions && form["Url"] is null && form["Twiml"] is null)
        {
            return TwilioResults.Invalid(21205, "Url parameter is required.");
        }

        return ValidateUrl(form, "Url") ?? ValidateUrl(form, "StatusCallback");
    }

    /// <summary>21205 when the parameter is given and is not an absolute http(s) URL.</summary>
    public static TwilioJsonResult? ValidateUrl(TwilioForm form, string key) =>
        form[key] is { } url && !TwilioForm.IsHttpUrl(url) ? TwilioResults.Invalid(21205, $"{key} is not a valid URL: {url}") : null;

    private static TwilioJsonResult? ValidateTwiml(TwilioForm form) =>
        form["Twiml"] is { Length: > MaxTwimlLength }
            ? TwilioResults.Invalid(32018, $"Twiml size exceeded maximum allowed value of {MaxTwimlLength} characters")
            : null;

    public static IReadOnlySet<string> StatusCallbackEvents(TwilioForm form, string key) =>
        form.All(key).SelectMany(value => (value ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(CallProgressEvents.Contains)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>How long the call rings (default 60 s); Twilio silently brings a value outside its range into it.</summary>
    public static TimeSpan Timeout(TwilioForm form, int minimumSeconds) =>
        TimeSpan.FromSeconds(int.TryParse(form["Timeout"], CultureInfo.InvariantCulture, out var seconds)
            ? Math.Clamp(seconds, minimumSeconds, 600)
            : 60);

    /// <summary>
    /// Calls, newest first, filtered by To, From and Status: how a client finds a call it created when the creation's
    /// answer never came.
    /// </summary>
    private static TwilioJsonResult List(HttpRequest request, EmulatorState state)
    {
        var to = request.Query["To"].ToString();
        var from = request.Query["From"].ToString();
        var status = request.Query["Status"].ToString();
        var (page, pageSize) = TwilioResources.Paging(request);
        return state.Read(() =>
        {
            // Reversed first: calls created in the same instant are listed latest created first too.
            var calls = state.Calls.Values.Reverse()
                .Where(c => to.Length == 0 || c.To == to)
                .Where(c => from.Length == 0 || c.From == from)
                .Where(c => status.Length == 0 || c.Status == status)
                .OrderByDescending(c => c.DateCreated)
                .ToList();
            var query = TwilioResources.Query(("To", to), ("From", from), ("Status", status));
            return TwilioResults.Ok(TwilioResources.Page("calls", request.Path, calls, TwilioResources.Call, page, pageSize, query));
        });
    }

    private static TwilioJsonResult Fetch(string sid, HttpRequest request, EmulatorState state)
    {
        return state.Read(() => state.Calls.TryGetValue(sid, out var call)
                ? TwilioResults.Ok(TwilioResources.Call(call))
                : TwilioResults.NotFound(request.Path));
    }

    /// <summary>Everything is validated first; a Status ends the call and any Url or Twiml with it is ignored.</summary>
    private static async Task<TwilioJsonResult> UpdateAsync(string sid, HttpRequest request, EmulatorState state, CallEngine calls)
    {
        var form = await TwilioForm.ReadAsync(request);
        if (state.FindCall(sid) is not { } call)
        {
            return TwilioResults.NotFound(request.Path);
        }

        if (ValidateUpdate(form) is { } invalid)
        {
            return invalid;
        }

        if (form["Status"] is { } status)
        {
            if (status == CallStatus.Canceled)
            {
                calls.Cancel(call);
            }
            else
            {
                calls.Hangup(call);
            }
        }
        else if (form["Url"] is not null || form["Twiml"] is not null)
        {
            if (!calls.Redirect(call, new TwimlSource(form["Url"], form.Method("Method"), form["Twiml"])))
            {
                return TwilioResults.Invalid(21220, "Call is not in-progress. Cannot redirect.");
            }
        }

        return state.Read(() => TwilioResults.Ok(TwilioResources.Call(call)));
    }

    private static TwilioJsonResult? ValidateUpdate(TwilioForm form)
    {
        if (form["Status"] is { } status && status is not (CallStatus.Canceled or CallStatus.Completed))
        {
            return TwilioResults.Invalid(21218, $"Invalid Status: {status}. Can be canceled or completed.");
        }

        if (form["Url"] is not null && form["Twiml"] is not null)
        {
            return TwilioResults.Invalid(21205, "Url and Twiml cannot both be given when updating a call: give one of them.");
        }

        return ValidateUrl(form, "Url") ?? ValidateTwiml(form);
    }
}
