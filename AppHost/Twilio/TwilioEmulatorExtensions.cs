using Aspire.Hosting.ApplicationModel;

namespace WarmTransfer.AppHost.Twilio;

/// <summary>The Twilio account the system talks to when it runs with the emulator: sids, number, generated secrets.</summary>
public static class TwilioEmulatorExtensions
{
    public const string AccountSid = "AC00000000000000000000000000000001";
    public const string ApiKeySid = "SK00000000000000000000000000000001";
    public const string PhoneNumber = "+15005550006";

    /// <summary>
    /// The emulator, with an auth token and API key secret generated for this machine, and the support
    /// number's voice URL pointed at <paramref name="voiceUrl"/>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddTwilioEmulator(
        this IDistributedApplicationBuilder builder, string name, Func<ReferenceExpression> voiceUrl)
    {
        var secret = new GenerateParameterDefault { MinLength = 32, Special = false };
        var authToken = ParameterResourceBuilderExtensions.CreateGeneratedParameter(builder, "twilio-auth-token", secret: true, secret);
        var apiKeySecret = ParameterResourceBuilderExtensions.CreateGeneratedParameter(builder, "twilio-api-key-secret", secret: true, secret);

        return builder.AddProject<Projects.TwilioEmulator>(name)
            .WithHttpEndpoint()
            .WithEnvironment("Twilio__AccountSid", AccountSid)
            .WithEnvironment("Twilio__ApiKeySid", ApiKeySid)
            .WithEnvironment("Twilio__PhoneNumber", PhoneNumber)
            .WithEnvironment("Twilio__AuthToken", authToken)
            .WithEnvironment("Twilio__ApiKeySecret", apiKeySecret)
            .WithEnvironment(context => context.EnvironmentVariables["Twilio__VoiceUrl"] = voiceUrl())
            .WithHttpHealthCheck("/health")
            .WithUrlForEndpoint("http", url => url.DisplayText = "Call the support line");
    }
}
