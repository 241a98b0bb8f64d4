using System.Text.Json;

namespace WarmTransfer.AppHost.Tests;

/// <summary>One trace runs from the customer's webhook through RabbitMQ into the worker's Twilio REST call.</summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed class TraceTests(WarmTransferAppFixture fixture)
{
    [Fact]
    public async Task The_workers_rest_request_carries_the_trace_id_of_the_voice_webhook()
    {
        await fixture.ResetAsync();
        using var emulator = new Emulator(fixture.App);
        using var agent = await PortalSession.SignInAsync(fixture.App, "agent3", "agent3-dev-password");
        await emulator.AnswerAsAsync("agent3");
        await agent.PostOkAsync("/api/presence", new { status = "available" });

        var customer = await emulator.CallSupportLineAsync("+15557653000");
        try
        {
            // Both are logged once answered: the dial may be logged before the webhook that caused it.
            JsonElement[] events = [];
            await Eventually.HoldsAsync(async () =>
            {
                events = await emulator.EventsAsync();
                return events.Any(IsDialOf(customer)) && events.Any(IsVoiceWebhookOf(customer))
                    ? null : "the voice webhook or the worker's dial of agent3 is not logged yet";
            }, TimeSpan.FromSeconds(30));

            Assert.Equal(TraceId(events.Single(IsVoiceWebhookOf(customer))), TraceId(events.First(IsDialOf(customer))));
        }
        finally
        {
            await emulator.HangUpAsync(customer);
            await Eventually.HoldsAsync(async () =>
            {
                using var away = await agent.PostAsync("/api/presence", new { status = "away" });
                return away.IsSuccessStatusCode ? null : "agent3 is still on a call";
            }, TimeSpan.FromSeconds(30));
        }
    }

    private static Func<JsonElement, bool> IsVoiceWebhookOf(string customer) => e =>
        e.GetProperty("kind").GetString() == "voice-webhook" && e.GetProperty("callSid").GetString() == customer
        && e.GetProperty("url").GetString()!.EndsWith("/voice/incoming");

    /// <summary>The REST request that created the call ringing agent3 into this customer's conference.</summary>
    private static Func<JsonElement, bool> IsDialOf(string customer) => e =>
        e.GetProperty("kind").GetString() == "rest" && e.GetProperty("message").GetString() == "POST Calls.json"
        && e.GetProperty("parameters") is { ValueKind: JsonValueKind.Object } form
        && form.TryGetProperty("To", out var to) && to.GetString() == "client:agent3"
        && form.TryGetProperty("Url", out var url) && url.GetString()!.Contains($"conference={customer}");

    private static string TraceId(JsonElement entry)
    {
        var traceParent = entry.GetProperty("traceParent").GetString();
        Assert.NotNull(traceParent);
        return traceParent.Split('-')[1];
    }
}
