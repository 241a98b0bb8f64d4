using Aspire.Hosting.ApplicationModel;

namespace WarmTransfer.AppHost.Twilio;

/// <summary>The Twilio account of a run with the emulator: fixed sids and number, secrets generated per machine.</summary>
public sealed record TwilioAccount(
    string AccountSid,
    string ApiKeySid,
    string PhoneNumber,
    IResourceBuilder<ParameterResource> AuthToken,
    IResourceBuilder<ParameterResource> ApiKeySecret);

public static class TwilioEmulatorExtensions
{
    public static TwilioAccount AddEmulatedTwilioAccount(this IDistributedApplicationBuilder builder)
    {
        var secret = new GenerateParameterDefault { MinLength = 32, Special = false };
        return new TwilioAccount(
            AccountSid: "AC00000000000000000000000000000001",
            ApiKeySid: "SK00000000000000000000000000000001",
            PhoneNumber: "+15005550006",
            AuthToken: builder.AddParameter("twilio-auth-token", secret, secret: true, persist: true),
            ApiKeySecret: builder.AddParameter("twilio-api-key-secret", secret, secret: true, persist: true));
    }

    /// <summary>The emulator, running the account, with the support number's voice URL pointed at <paramref name="voiceUrl"/>.</summary>
    public static IResourceBuilder<ProjectResource> AddTwilioEmulator(
        this IDistributedApplicationBuilder builder, string name, TwilioAccount account, Func<ReferenceExpression> voiceUrl) =>
        builder.AddProject<Projects.TwilioEmulator>(name)
            .WithHttpEndpoint()
            .WithTwilioAccount(account)
            .WithEnvironment(context => context.EnvironmentVariables["Twilio__VoiceUrl"] = voiceUrl())
            .WithHttpHealthCheck("/health")
            .WithUrlForEndpoint("http", url => url.DisplayText = "Call the support line");

    /// <summary>A service that talks to Twilio: the account, the emulator's address, and WebhookApi's public address.</summary>
    public static IResourceBuilder<ProjectResource> WithTwilio(
        this IResourceBuilder<ProjectResource> service, TwilioAccount account,
        IResourceBuilder<ProjectResource> emulator, IResourceBuilder<ProjectResource> webhooks) =>
        service
            .WithTwilioAccount(account)
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["Twilio__ApiBaseUrl"] = emulator.GetEndpoint("http");
                context.EnvironmentVariables["Twilio__WebhookBaseUrl"] = webhooks.GetEndpoint("http");
            });

    private static IResourceBuilder<ProjectResource> WithTwilioAccount(this IResourceBuilder<ProjectResource> resource, TwilioAccount account) =>
        resource
            .WithEnvironment("Twilio__AccountSid", account.AccountSid)
            .WithEnvironment("Twilio__ApiKeySid", account.ApiKeySid)
            .WithEnvironment("Twilio__PhoneNumber", account.PhoneNumber)
            .WithEnvironment("Twilio__AuthToken", account.AuthToken)
            .WithEnvironment("Twilio__ApiKeySecret", account.ApiKeySecret);
}
