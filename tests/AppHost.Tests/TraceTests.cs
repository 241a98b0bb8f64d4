using System.Text.Json;

namespace WarmTransfer.AppHost.Tests;

/// <summary>One trace runs from the customer's webhook through RabbitMQ into the worker's Twilio REST call.</summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed class TraceTests(WarmTransferAppFixture fixture)
{
    [Fact]
    public async Task The_workers_rest_request_carries_the_trace_id_of_the_voice_webhook()
    {
        using var emulator = new Emulator(fixture.App);
        using var agent = await PortalSession.SignInAsync(fixture.App, "agent3", "agent3-dev-password");
        await emulator.AnswerAsAsync("agent3");
        await agent.PostOkAsync("/api/presence", new { status = "available" });
        try
        {
            var customer = await emulator.CallSupportLineAsync("+15557653000");

            JsonElement[] events = [];
            await Eventually.HoldsAsync(async () =>
            {
                events = await emulator.EventsAsync();
                return events.Any(IsDialOf(customer)) ? null : "the worker has not dialed agent3 yet";
            }, TimeSpan.FromSeconds(30));

            var webhook = events.Single(e => e.GetProperty("kind").GetString() == "voice-webhook"
                && e.GetProperty("callSid").GetString() == customer && e.GetProperty("url").GetString()!.EndsWith("/voice/incoming"));
            var dial = events.First(IsDialOf(customer));
            Assert.Equal(TraceId(webhook), TraceId(dial));

            await emulator.HangUpAsync(customer);
            await Eventually.HoldsAsync(async () => (await emulator.ConferenceAsync(customer))?.GetProperty("status").GetString() == "completed"
                ? null : "the conference has not ended", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await Eventually.HoldsAsync(async () =>
            {
                using var away = await agent.PostAsync("/api/presence", new { status = "away" });
                return away.IsSuccessStatusCode ? null : "agent3 is still on a call";
            }, TimeSpan.FromSeconds(30));
        }
    }

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
