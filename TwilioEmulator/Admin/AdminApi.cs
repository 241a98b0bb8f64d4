using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using WarmTransfer.TwilioEmulator.Clients;
using WarmTransfer.TwilioEmulator.Delivery;
using WarmTransfer.TwilioEmulator.Model;
using WarmTransfer.TwilioEmulator.Voice;

namespace WarmTransfer.TwilioEmulator.Admin;

public sealed record PlaceCallRequest(string? From);

public sealed record DigitsRequest(string? Digits);

public sealed record AnswerRuleRequest(string Action, int AfterMilliseconds = 0);

/// <summary>The emulator's own API, for developers, tests and load: callers, answer rules, faults, state, events.</summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin");
        admin.MapPost("/calls", PlaceCall);
        admin.MapPost("/calls/{sid}/hangup", Hangup);
        admin.MapPost("/calls/{sid}/digits", PressDigits);
        admin.MapGet("/answer-rules", (AnswerRules rules) => TypedResults.Ok(rules.All));
        admin.MapPut("/answer-rules/{target}", SetAnswerRule);
        admin.MapDelete("/answer-rules/{target}", (string target, AnswerRules rules) =>
            rules.Remove(target) ? Results.NoContent() : Results.NotFound());
        admin.MapGet("/faults", (FaultInjector faults) => TypedResults.Ok(faults.Rules));
        admin.MapPut("/faults", SetFault);
        admin.MapDelete("/faults", (FaultInjector faults) =>
        {
            faults.Clear();
            return TypedResults.NoContent();
        });
        admin.MapGet("/delivery", (CallbackDelivery delivery) => TypedResults.Ok(delivery.Settings));
        admin.MapPut("/delivery", SetDelivery);
        admin.MapDelete("/delivery", (CallbackDelivery delivery) =>
        {
            delivery.Reset();
            return TypedResults.NoContent();
        });
        admin.MapPost("/devices/{id}/drop", DropDevice);
        admin.MapGet("/state", State);
        admin.MapGet("/events", (long? after, EventLog events) => TypedResults.Ok(events.Since(after ?? 0)));
        return app;
    }

    /// <summary>A simulated customer calls the support number.</summary>
    private static IResult PlaceCall(PlaceCallRequest request, CallEngine calls)
    {
        var from = request.From ?? "+15551230000";
        if (!Rest.TwilioForm.IsE164(from))
        {
            return TypedResults.Problem($"'{from}' is not an E.164 number.", statusCode: StatusCodes.Status400BadRequest);
        }

        try
        {
            var call = calls.PlaceInbound(from);
            return TypedResults.Created($"/admin/state", new { sid = call.Sid, from = call.From, to = call.To });
        }
        catch (InvalidOperationException exception)
        {
            return TypedResults.Problem(exception.Message, statusCode: StatusCodes.Status409Conflict);
        }
    }

    private static IResult Hangup(string sid, EmulatorState state, CallEngine calls)
    {
        if (state.FindCall(sid) is not { } call)
        {
            return TypedResults.NotFound();
        }

        calls.Hangup(call);
        return TypedResults.NoContent();
    }

    /// <summary>The caller presses keys (0–9, * and #), heard by the &lt;Gather&gt; their call runs now.</summary>
    private static Results<NoContent, ProblemHttpResult> PressDigits(string sid, DigitsRequest request, EmulatorState state, TwimlInterpreter twiml)
    {
        if (request.Digits is not { Length: > 0 and <= 32 } digits || digits.Any(key => !(char.IsAsciiDigit(key) || key is '*' or '#')))
        {
            return TypedResults.Problem("digits must be 1 to 32 of 0-9, * and #.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (state.FindCall(sid) is not { } call)
        {
            return TypedResults.Problem($"No call {sid}.", statusCode: StatusCodes.Status404NotFound);
        }

        return twiml.PressKeys(call, digits)
            ? TypedResults.NoContent()
            : TypedResults.Problem($"Call {sid} is not gathering digits: keys pressed now would be lost.", statusCode: StatusCodes.Status409Conflict);
    }

    /// <summary>
    /// A device's signalling drops, as a network fault would: the Voice SDK reconnects by itself. With reconnect=false it
    /// is told to stay away, as a closed tab would. Either way a call it answered goes on.
    /// </summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> DropDevice(string id, bool? reconnect, DeviceHub devices)
    {
        if (devices.Find(id) is not { } device)
        {
            return TypedResults.Problem($"No device {id} is registered.", statusCode: StatusCodes.Status404NotFound);
        }

        await devices.DropAsync(device, reconnect ?? true);
        return TypedResults.NoContent();
    }

    private static IResult SetAnswerRule(string target, AnswerRuleRequest request, AnswerRules rules)
    {
        if (!AnswerRule.Actions.Contains(request.Action) || request.AfterMilliseconds < 0)
        {
            return TypedResults.Problem($"action must be one of {string.Join(", ", AnswerRule.Actions)}; afterMilliseconds ≥ 0.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        rules.Set(target, new AnswerRule(request.Action, request.AfterMilliseconds));
        return TypedResults.NoContent();
    }

    private static IResult SetFault(FaultRule rule, FaultInjector faults)
    {
        if (rule.Problem() is { } problem)
        {
            return TypedResults.Problem(problem, statusCode: StatusCodes.Status400BadRequest);
        }

        faults.Set(rule);
        return TypedResults.NoContent();
    }

    /// <summary>How callbacks are delivered from now on; a seed restarts every random choice of the emulator from it.</summary>
    private static IResult SetDelivery(DeliverySettings settings, CallbackDelivery delivery)
    {
        if (settings.Problem() is { } problem)
        {
            return TypedResults.Problem(problem, statusCode: StatusCodes.Status400BadRequest);
        }

        delivery.Configure(settings);
        return TypedResults.NoContent();
    }

    private static IResult State(EmulatorState state, DeviceHub devices, CallbackDelivery delivery, IOptions<EmulatorOptions> options)
    {
        // Built in full under the lock: serialising lazy sequences later would read the state while it changes.
        return TypedResults.Ok(state.Read(() => new
        {
            number = new
            {
                options.Value.PhoneNumber, options.Value.VoiceUrl, options.Value.VoiceMethod,
                options.Value.VoiceFallbackUrl, options.Value.VoiceFallbackMethod,
            },
            delivery = delivery.Settings,
            calls = state.Calls.Values.OrderBy(c => c.DateCreated).Select(c => new
            {
                c.Sid, c.From, c.To, c.Direction, c.Status, c.StatusCallback,
                conferenceSid = c.Participant?.Conference.Sid,
            }).ToList(),
            conferences = state.Conferences.Values.OrderBy(c => c.DateCreated).Select(c => new
            {
                c.Sid, c.FriendlyName, c.Status, c.ReasonConferenceEnded, c.CallSidEndingConference,
                participants = c.Participants.Select(p => new
                {
                    p.CallSid, p.Label, p.Status, p.StartConferenceOnEnter, p.EndConferenceOnExit, p.Muted, p.Hold,
                    audio = Hears(p),
                }).ToList(),
            }).ToList(),
            devices = devices.Devices.Select(d =>
            {
                var callSid = d.CallSid;
                return new { d.Id, d.Identity, d.TokenExpires, busy = callSid is not null, callSid };
            }).ToList(),
        }));
    }

    /// <summary>What the participant hears: music while waiting or held, the others once the conference runs, or silence.</summary>
    private static string Hears(Participant participant) =>
        participant.Audio != "conference" ? participant.Audio
        : participant.Conference.Participants.Any(other => other != participant && other.Status == ParticipantStatus.Connected && !other.Hold)
            ? "conference"
            : "silence";
}
