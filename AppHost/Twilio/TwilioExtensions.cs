using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace WarmTransfer.AppHost.Twilio;

/// <summary>
/// The Twilio account the services use. Emulated (fixed sids and number, secrets generated per machine)
/// unless <c>Twilio:AccountSid</c> is configured; then it is a real account, its secrets come from the
/// parameters <c>twilio-auth-token</c> and <c>twilio-api-key-secret</c>, and Twilio calls WebhookApi at
/// <c>Twilio:WebhookBaseUrl</c> (a public URL: a tunnel in development).
/// </summary>
public sealed record TwilioAccount(
    string AccountSid,
    string ApiKeySid,
    string PhoneNumber,
    IResourceBuilder<ParameterResource> AuthToken,
    IResourceBuilder<ParameterResource> ApiKeySecret,
    string? PublicWebhookBaseUrl)
{
    public bool IsEmulated => PublicWebhookBaseUrl is null;
}

public static class TwilioExtensions
{
    public static TwilioAccount AddTwilioAccount(this IDistributedApplicationBuilder builder)
    {
        var twilio = builder.Configuration.GetSection("Twilio");
        if (string.IsNullOrEmpty(twilio["AccountSid"]))
        {
            var secret = new GenerateParameterDefault { MinLength = 32, Special = false };
            return new TwilioAccount(
                AccountSid: "AC00000000000000000000000000000001",
                ApiKeySid: "SK00000000000000000000000000000001",
                PhoneNumber: "+15005550006",
                AuthToken: builder.AddParameter("twilio-auth-token", secret, secret: true, persist: true),
                ApiKeySecret: builder.AddParameter("twilio-api-key-secret", secret, secret: true, persist: true),
                PublicWebhookBaseUrl: null);
        }

        var missing = new[] { "ApiKeySid", "PhoneNumber", "WebhookBaseUrl" }.Where(key => string.IsNullOrEmpty(twilio[key])).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"Twilio:AccountSid is set, so the real Twilio is used; it also needs {string.Join(", ", missing.Select(key => $"Twilio:{key}"))}.");
        }

        return new TwilioAccount(twilio["AccountSid"]!, twilio["ApiKeySid"]!, twilio["PhoneNumber"]!,
            builder.AddParameter("twilio-auth-token", secret: true),
            builder.AddParameter("twilio-api-key-secret", secret: true),
            twilio["WebhookBaseUrl"]);
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

    /// <summary>
    /// A service that talks to Twilio: the account, WebhookApi's public address, and — with the emulator —
    /// the emulator's address, started before the service.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithTwilio(
        this IResourceBuilder<ProjectResource> service, TwilioAccount account,
        IResourceBuilder<ProjectResource>? emulator, IResourceBuilder<ProjectResource> webhooks)
    {
        service.WithTwilioAccount(account).WithEnvironment(context =>
        {
            context.EnvironmentVariables["Twilio__WebhookBaseUrl"] = account.PublicWebhookBaseUrl is { } publicUrl
                ? publicUrl
                : webhooks.GetEndpoint("http");
            if (emulator is not null)
            {
                context.EnvironmentVariables["Twilio__ApiBaseUrl"] = emulator.GetEndpoint("http");
            }
        });
        return emulator is null ? service : service.WaitFor(emulator);
    }

    private static IResourceBuilder<ProjectResource> WithTwilioAccount(this IResourceBuilder<ProjectResource> resource, TwilioAccount account) =>
        resource
            .WithEnvironment("Twilio__AccountSid", account.AccountSid)
            .WithEnvironment("Twilio__ApiKeySid", account.ApiKeySid)
            .WithEnvironment("Twilio__PhoneNumber", account.PhoneNumber)
            .WithEnvironment("Twilio__AuthToken", account.AuthToken)
            .WithEnvironment("Twilio__ApiKeySecret", account.ApiKeySecret);
}
