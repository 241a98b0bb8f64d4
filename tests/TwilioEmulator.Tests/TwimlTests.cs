using System.Text.Json;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>How calls run TwiML that is valid XML but cannot be followed.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class TwimlTests(EmulatorFixture emulator)
{
    [Theory]
    [InlineData("<Response><Redirect>next/step</Redirect></Response>")]
    [InlineData("<Response><Dial action=\"after-dial\"><Conference>relative-{0}</Conference></Dial></Response>")]
    [InlineData("<Response><Dial><Conference waitUrl=\"music.mp3\">relative-{0}</Conference></Dial></Response>")]
    [InlineData("<Response><Redirect>mailto:support@example.com</Redirect></Response>")]
    public async Task A_url_in_inline_twiml_that_is_not_absolute_http_is_error_11100_and_ends_the_call(string twiml)
    {
        var call = await CallResource.CreateAsync(new PhoneNumber(RedirectTests.UniqueNumber()), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twiml(string.Format(System.Globalization.CultureInfo.InvariantCulture, twiml, Guid.NewGuid().ToString("N"))),
            client: emulator.Twilio);

        await Poll.UntilAsync(async () => (await CallResource.FetchAsync(call.Sid, client: emulator.Twilio)).Status == CallResource.StatusEnum.Completed,
            "the call to end");
        Assert.Contains(await emulator.EventsAsync(), e => e.GetProperty("callSid").GetString() == call.Sid
            && e.GetProperty("errorCode").ValueKind == JsonValueKind.Number && e.GetProperty("errorCode").GetInt32() == 11100);
    }
}
