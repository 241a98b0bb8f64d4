using Twilio.Security;
using WarmTransfer.TwilioEmulator.Voice;

namespace WarmTransfer.TwilioEmulator.Tests;

public sealed class SignatureTests
{
    [Fact]
    public void The_signature_matches_the_test_vector_of_the_Twilio_SDK()
    {
        var parameters = new Dictionary<string, string>
        {
            ["CallSid"] = "CA1234567890ABCDE",
            ["Caller"] = "+14158675309",
            ["Digits"] = "1234",
            ["From"] = "+14158675309",
            ["To"] = "+18005551212",
        };

        var signature = TwilioSignature.Compute("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", parameters);

        Assert.Equal("RSOYDt4T1cUTdK1PDd93/VVr8B8=", signature);
        Assert.True(new RequestValidator("12345").Validate("https://mycompany.com/myapp.php?foo=1&bar=2", parameters, signature));
    }
}
