namespace WarmTransfer.AppHost.Tests;

/// <summary>One trace runs from the customer's webhook through RabbitMQ into the worker's Twilio REST call.</summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed class TraceTests(WarmTransferAppFixture fixture)
{
    [Fact]
    public async Task The_workers_rest_request_carries_the_trace_id_of_the_voice_webhook()
    {
        await fixture.ResetAsync();
        using var emulator = EmulatorAdmin.For(fixture.App);
        using var agent = await PortalClient.SignInAsync(fixture.App, "agent3", "agent3-dev-password");
        await emulator.AnswerAsAsync("agent3");
        await agent.GoAvailableAsync();

        var customer = await emulator.CallSupportLineAsync("+15557653000");
        try
        {
            // Both are logged once answered: the dial may be logged before the webhook that caused it.
            IReadOnlyList<EmulatorEvent> events = [];
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

    private static Func<EmulatorEvent, bool> IsVoiceWebhookOf(string customer) => e =>
        e.Kind == "voice-webhook" && e.CallSid == customer && e.Url!.EndsWith("/voice/incoming");

    /// <summary>The REST request that created the call ringing agent3 into this customer's conference.</summary>
    private static Func<EmulatorEvent, bool> IsDialOf(string customer) => e =>
        e.Kind == "rest" && e.Message == "POST Calls.json"
        && e.Parameter("To") == "client:agent3" && e.Parameter("Url").Contains($"session={customer}");

    private static string TraceId(EmulatorEvent entry)
    {
        var traceParent = entry.TraceParent;
        Assert.NotNull(traceParent);
        return traceParent.Split('-')[1];
    }
}
