using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WarmTransfer.CallCenter.Telephony;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>A service starts only with the account settings and the one secret its job needs, and an https webhook address outside Development.</summary>
public sealed class TwilioOptionsTests
{
    [Theory]
    [InlineData("Production", "http://support.example.com", TwilioSecret.AuthToken, "Twilio:WebhookBaseUrl must be an https address")]
    [InlineData("Production", "https://support.example.com", TwilioSecret.ApiKeySecret, "Twilio:ApiKeySecret is required")]
    public void A_service_with_settings_it_cannot_use_does_not_start(string environment, string webhookBaseUrl, TwilioSecret secret, string message)
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Options(environment, webhookBaseUrl, secret));
        Assert.Contains(message, failure.Message);
    }

    [Theory]
    [InlineData("Production", "https://support.example.com")]
    [InlineData("Development", "http://localhost:5000")]
    public void Https_outside_development_and_any_address_in_development_are_taken(string environment, string webhookBaseUrl) =>
        Assert.Equal(webhookBaseUrl, Options(environment, webhookBaseUrl, TwilioSecret.AuthToken).WebhookBaseUrl);

    private static TwilioOptions Options(string environment, string webhookBaseUrl, TwilioSecret secret)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = environment, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Twilio:AccountSid"] = "AC0123456789abcdef0123456789abcdef",
            ["Twilio:ApiKeySid"] = "SK0123456789abcdef0123456789abcdef",
            ["Twilio:PhoneNumber"] = "+15551234567",
            ["Twilio:AuthToken"] = "the-auth-token",
            ["Twilio:WebhookBaseUrl"] = webhookBaseUrl,
        });
        builder.AddTwilioOptions(secret);
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<TwilioOptions>>().Value;
    }
}
