using Twilio.Security;
using WarmTransfer.CallCenter.Voice;

namespace WarmTransfer.Benchmarks;

/// <summary>
/// The limits of this stack on this machine, for the incoming-call webhook, on two routes:
/// <list type="bullet">
/// <item><c>/voice/incoming</c>: Kestrel answering fixed TwiML — the document WebhookApi answers — and doing nothing else;</item>
/// <item><c>/voice/incoming-checked</c>: what any Twilio webhook must do before its own work — read the form, check its
/// X-Twilio-Signature with the account's auth token, build the caller's TwiML — and nothing else (no Redis, no queue, no
/// telemetry). What WebhookApi spends beyond it is the support line's own work.</item>
/// </list>
/// </summary>
public static class BaselineServer
{
    public const string Command = "baseline";
    public const string PortVariable = "BASELINE_PORT";
    public const string AuthTokenVariable = "BASELINE_AUTH_TOKEN";
    public const string CheckedPath = "/voice/incoming-checked";

    public static async Task RunAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Environment.GetEnvironmentVariable(PortVariable) ?? "0"}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var wait = new Uri("http://127.0.0.1/voice/wait");
        var events = new Uri("http://127.0.0.1/voice/conference-events");
        // Built once: what WebhookApi answers a caller, with a conference name of the same length.
        var twiml = CallCenterTwiml.CustomerConference($"CA{new string('0', 32)}", wait, events);
        var validator = new RequestValidator(Environment.GetEnvironmentVariable(AuthTokenVariable) ?? string.Empty);
        app.MapGet("/health", () => "Healthy");
        app.MapPost("/voice/incoming", () => Results.Content(twiml, "text/xml"));
        app.MapPost(CheckedPath, async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            var url = $"{request.Scheme}://{request.Host}{request.Path}{request.QueryString}";
            return validator.Validate(url, form.ToDictionary(field => field.Key, field => field.Value.ToString()), request.Headers["X-Twilio-Signature"].ToString())
                ? Results.Content(CallCenterTwiml.CustomerConference(form["CallSid"].ToString(), wait, events), "text/xml")
                : Results.StatusCode(StatusCodes.Status403Forbidden);
        });
        await app.RunAsync();
    }
}
