using System.Globalization;
using Microsoft.Extensions.Options;
using WarmTransfer.TwilioEmulator.Model;
using WarmTransfer.TwilioEmulator.Voice;

namespace WarmTransfer.TwilioEmulator.Rest;

public static class CallsApi
{
    private static readonly HashSet<string> CallProgressEvents = ["initiated", "ringing", "answered", "completed"];

    public static void MapCallsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/Calls.json", CreateAsync);
        api.MapGet("/Calls/{Sid}.json", Fetch);
        api.MapPost("/Calls/{Sid}.json", UpdateAsync);
    }

    private static async Task<TwilioJsonResult> CreateAsync(HttpRequest request, CallEngine calls, EmulatorState state, IOptions<EmulatorOptions> options)
    {
        var form = await TwilioForm.ReadAsync(request);
        if (ValidateDial(form, options.Value, requireInstructions: true) is { } invalid)
        {
            return invalid;
        }

        var call = calls.PlaceOutbound(new OutboundCallRequest(
            From: form["From"]!,
            To: form["To"]!,
            Instructions: new TwimlSource(form["Url"], form["Method"] ?? "POST", form["Twiml"]),
            StatusCallback: form["StatusCallback"],
            StatusCallbackMethod: form["StatusCallbackMethod"] ?? "POST",
            StatusCallbackEvents: StatusCallbackEvents(form, "StatusCallbackEvent"),
            Timeout: Timeout(form)));
        lock (state.Sync)
        {
            return TwilioResults.Created(TwilioResources.Call(call));
        }
    }

    /// <summary>What Twilio checks before it dials: To, From, the TwiML source, the callback URL, Timeout.</summary>
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
            return TwilioResults.Invalid(21603, "A 'From' phone number is required.");
        }

        if (!TwilioForm.IsE164(from) && !TwilioForm.IsClient(from))
        {
            return TwilioResults.Invalid(21212, $"Invalid From Number (caller ID): {from}");
        }

        if (TwilioForm.IsE164(from) && from != account.PhoneNumber)
        {
            return TwilioResults.Invalid(21210, $"The source phone number provided, {from}, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio.");
        }

        if (requireInstructions && form["Url"] is null && form["Twiml"] is null)
        {
            return TwilioResults.Invalid(21205, "Url parameter is required.");
        }

        if (form["Url"] is { } url && !TwilioForm.IsHttpUrl(url))
        {
            return TwilioResults.Invalid(21205, $"Url is not a valid URL: {url}");
        }

        if (form["StatusCallback"] is { } callback && !TwilioForm.IsHttpUrl(callback))
        {
            return TwilioResults.Invalid(21609, $"StatusCallback is not a valid URL: {callback}");
        }

        if (form["Timeout"] is { } timeout && (!int.TryParse(timeout, CultureInfo.InvariantCulture, out var seconds) || seconds is < 1 or > 600))
        {
            return TwilioResults.Invalid(21216, $"Timeout must be between 1 and 600 seconds: {timeout}");
        }

        foreach (var method in new[] { form["Method"], form["StatusCallbackMethod"] })
        {
            if (method is not null and not ("GET" or "POST"))
            {
                return TwilioResults.Invalid(21601, $"Method must be GET or POST: {method}");
            }
        }

        return null;
    }

    public static IReadOnlySet<string> StatusCallbackEvents(TwilioForm form, string key) =>
        form.All(key).SelectMany(value => (value ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(CallProgressEvents.Contains)
            .ToHashSet(StringComparer.Ordinal);

    public static TimeSpan Timeout(TwilioForm form) =>
        TimeSpan.FromSeconds(int.TryParse(form["Timeout"], CultureInfo.InvariantCulture, out var seconds) ? seconds : 60);

    private static TwilioJsonResult Fetch(string sid, HttpRequest request, EmulatorState state)
    {
        lock (state.Sync)
        {
            return state.Calls.TryGetValue(sid, out var call)
                ? TwilioResults.Ok(TwilioResources.Call(call))
                : TwilioResults.NotFound(request.Path);
        }
    }

    private static async Task<TwilioJsonResult> UpdateAsync(string sid, HttpRequest request, EmulatorState state, CallEngine calls)
    {
        var form = await TwilioForm.ReadAsync(request);
        if (state.FindCall(sid) is not { } call)
        {
            return TwilioResults.NotFound(request.Path);
        }

        switch (form["Status"])
        {
            case null:
                break;
            case CallStatus.Canceled:
                calls.Cancel(call);
                break;
            case CallStatus.Completed:
                calls.Hangup(call);
                break;
            default:
                return TwilioResults.Invalid(21218, $"Invalid Status: {form["Status"]}. Can be canceled or completed.");
        }

        if (form["Url"] is not null || form["Twiml"] is not null)
        {
            if (form["Url"] is { } url && !TwilioForm.IsHttpUrl(url))
            {
                return TwilioResults.Invalid(21205, $"Url is not a valid URL: {url}");
            }

            lock (state.Sync)
            {
                if (call.IsEnded)
                {
                    return TwilioResults.Invalid(21220, "Call is not in-progress. Cannot redirect.");
                }
            }

            calls.Redirect(call, new TwimlSource(form["Url"], form["Method"] ?? "POST", form["Twiml"]));
        }

        lock (state.Sync)
        {
            return TwilioResults.Ok(TwilioResources.Call(call));
        }
    }
}
