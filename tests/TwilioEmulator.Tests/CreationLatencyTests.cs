using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>An emulator whose call creations take as long to answer as real Twilio's can.</summary>
public sealed class SlowCreationFixture : EmulatorFixture
{
    public static readonly TimeSpan Latency = TimeSpan.FromSeconds(3);

    protected override IEnumerable<string> Settings(WebhookServer webhooks) => [$"--Emulator:CallCreationLatency={Latency}"];
}

/// <summary><c>Emulator:CallCreationLatency</c>: a call creation acts at once and answers only after the latency, as Twilio's API can.</summary>
public sealed class CreationLatencyTests(SlowCreationFixture emulator) : IClassFixture<SlowCreationFixture>
{
    [Fact]
    public async Task A_call_exists_while_its_creation_has_not_answered_yet_and_the_answer_then_comes()
    {
        var to = RedirectTests.UniqueNumber();
        var creation = CallResource.CreateAsync(new PhoneNumber(to), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twilio.Types.Twiml("<Response><Pause length=\"60\"/></Response>"), client: emulator.Twilio);

        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        while ((await CallsToAsync(to)).Length == 0)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "the call was not created within 10 s");
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }

        Assert.False(creation.IsCompleted, "the creation answered as soon as the call existed");

        var call = await creation;
        Assert.Equal(Assert.Single(await CallsToAsync(to)), call.Sid);
        await CallResource.UpdateAsync(call.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);
    }

    private async Task<string[]> CallsToAsync(string to) =>
        [.. (await emulator.StateAsync()).GetProperty("calls").EnumerateArray()
            .Where(call => call.GetProperty("to").GetString() == to).Select(call => call.GetProperty("sid").GetString()!)];
}
