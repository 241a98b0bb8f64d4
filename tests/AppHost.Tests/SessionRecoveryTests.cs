namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// Twilio as it really delivers: callbacks lost for good, call creations that fail after Twilio made the call. The sessions
/// find the truth and nobody is rung twice or left busy.
/// </summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed class SessionRecoveryTests(WarmTransferAppFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);

    private readonly EmulatorAdmin _emulator = EmulatorAdmin.For(fixture.App);

    public Task InitializeAsync() => fixture.ResetAsync();

    public async Task DisposeAsync()
    {
        await _emulator.ResetDeliveryAsync();
        await _emulator.ClearFaultsAsync();
        _emulator.Dispose();
    }

    [Fact]
    public async Task When_every_callback_of_a_call_is_lost_reconciliation_frees_the_agent_within_30_seconds()
    {
        using var agent = await PortalClient.SignInAsync(fixture.App, "agent1", "agent1-dev-password");
        await _emulator.AnswerAsAsync("agent1");
        await agent.PostOkAsync("/api/presence", new { status = "available" });
        var customer = await _emulator.CallSupportLineAsync("+15557654000");
        await Eventually.HoldsAsync(async () => (await agent.MeAsync()).Status == "in-call" ? null : "agent1 is not in the call", StepTimeout);

        // From now on Twilio's callbacks are lost: nothing tells the system the customer hung up.
        Assert.True(await _emulator.SetDeliveryAsync(new DeliverySettings(Concurrent: false, Lossy: true, Duplicate: false, Seed: 7, DropRate: 1.0)));
        await _emulator.HangUpAsync(customer);
        var hungUp = DateTimeOffset.UtcNow;

        await Eventually.HoldsAsync(async () => (await agent.MeAsync()).Status == "available" && await agent.CallAsync() is null
            ? null : $"agent1 is still {(await agent.MeAsync()).Status}", StepTimeout + TimeSpan.FromSeconds(5));
        Assert.True(DateTimeOffset.UtcNow - hungUp < TimeSpan.FromSeconds(35), "freed more than 30 s after the hang-up");
    }

    [Fact]
    public async Task A_call_creation_that_fails_after_Twilio_made_the_call_rings_the_agent_once()
    {
        using var agent = await PortalClient.SignInAsync(fixture.App, "agent2", "agent2-dev-password");
        await _emulator.AnswerAsAsync("agent2", afterMilliseconds: 1500);
        await agent.PostOkAsync("/api/presence", new { status = "available" });
        Assert.True(await _emulator.SetFaultAsync(new FaultRule(FaultRule.CreateCall, ActedThenErrorRate: 1.0)));

        var customer = await _emulator.CallSupportLineAsync("+15557654100");

        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(customer)).Select(p => p.Split(':')[0]).SequenceEqual(["customer", "agent2"])
            ? null : "agent2 has not joined the customer", StepTimeout);
        var rings = (await _emulator.CallsAsync()).Count(c => c.ClientIdentity == "agent2" && c.CallbackParameter("session") == customer);
        Assert.Equal(1, rings);

        await _emulator.ClearFaultsAsync();
        await _emulator.HangUpAsync(customer);
        await Eventually.HoldsAsync(async () => (await agent.MeAsync()).Status == "available" ? null : "agent2 not available again", StepTimeout);
    }
}
