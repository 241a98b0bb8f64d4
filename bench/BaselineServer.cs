using WarmTransfer.CallCenter.Voice;

namespace WarmTransfer.Benchmarks;

/// <summary>
/// The limit of this stack on this machine: Kestrel answering an incoming-call webhook with fixed TwiML — the same
/// document WebhookApi answers — and doing nothing else (no signature check, no Redis, no queue, no telemetry).
/// </summary>
public static class BaselineServer
{
    public const string Command = "baseline";
    public const string PortVariable = "BASELINE_PORT";

    public static async Task RunAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Environment.GetEnvironmentVariable(PortVariable) ?? "0"}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        // Built once: what WebhookApi answers a caller, with a conference name of the same length.
        var twiml = CallCenterTwiml.CustomerConference($"CA{new string('0', 32)}",
            new Uri("http://127.0.0.1/voice/wait"), new Uri("http://127.0.0.1/voice/conference-events"));
        app.MapGet("/health", () => "Healthy");
        app.MapPost("/voice/incoming", () => Results.Content(twiml, "text/xml"));
        await app.RunAsync();
    }
}
