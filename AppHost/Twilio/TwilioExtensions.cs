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

/// <summary>Twilio settings that are partly there, or not usable: the AppHost names what to fix and does not start.</summary>
public sealed class TwilioSettingsException(string message) : Exception(message);

/// <summary>Which of the account's two secrets a service receives: only what its job needs.</summary>
[Flags]
public enum TwilioSecrets
{
    /// <summary>Signs Twilio's webhooks: only the service that checks their signatures has it.</summary>
    AuthToken = 1,

    /// <summary>Authenticates REST requests and signs softphone tokens.</summary>
    ApiKeySecret = 2,
}

public static class TwilioExtensions
{
    private static readonly string[] AccountKeys = ["AccountSid", "ApiKeySid", "PhoneNumber", "WebhookBaseUrl"];
    private static readonly string[] SecretParameters = ["twilio-auth-token", "twilio-api-key-secret"];

    public static TwilioAccount AddTwilioAccount(this IDistributedApplicationBuilder builder)
    {
        var twilio = builder.Configuration.GetSection("Twilio");
        var present = AccountKeys.Where(key => !string.IsNullOrEmpty(twilio[key])).ToList();
        if (present.Count == 0)
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

        // A publish leaves the secrets to the deployment; a run needs them now.
        var missing = AccountKeys.Except(present).Select(key => $"Twilio:{key}")
            .Concat(builder.ExecutionContext.IsRunMode
                ? SecretParameters.Where(name => string.IsNullOrEmpty(builder.Configuration[$"Parameters:{name}"])).Select(name => $"Parameters:{name}")
                : [])
            .ToList();
        if (missing.Count > 0)
        {
            throw new TwilioSettingsException(
                $"Twilio settings are partly configured ({string.Join(", ", present.Select(key => $"Twilio:{key}"))}), so the real Twilio would be used, " +
                $"but {string.Join(", ", missing)} {(missing.Count == 1 ? "is" : "are")} missing. Set them all (dotnet user-secrets set --project AppHost …) " +
                "or remove them all to run with the emulator.");
        }

        if (!Uri.TryCreate(twilio["WebhookBaseUrl"], UriKind.Absolute, out var webhookBase) || webhookBase.Scheme != Uri.UriSchemeHttps)
        {
            throw new TwilioSettingsException(
                $"Twilio:WebhookBaseUrl must be the public https address Twilio calls WebhookApi at (a tunnel in development), not '{twilio["WebhookBaseUrl"]}'.");
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
            .WithTwilioAccount(account, TwilioSecrets.AuthToken | TwilioSecrets.ApiKeySecret)
            .WithEnvironment(context => context.EnvironmentVariables["Twilio__VoiceUrl"] = voiceUrl())
            .WithHttpHealthCheck("/health")
            .WithUrlForEndpoint("http", url => url.DisplayText = "Call the support line");

    /// <summary>
    /// A service that talks to Twilio: the account with the <paramref name="secrets"/> its job needs, WebhookApi's public address,
    /// and — with the emulator — the emulator's address, started before the service.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithTwilio(
        this IResourceBuilder<ProjectResource> service, TwilioAccount account, TwilioSecrets secrets,
        IResourceBuilder<ProjectResource>? emulator, IResourceBuilder<ProjectResource> webhooks)
    {
        service.WithTwilioAccount(account, secrets).WithEnvironment(context =>
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

    private static IResourceBuilder<ProjectResource> WithTwilioAccount(
        this IResourceBuilder<ProjectResource> resource, TwilioAccount account, TwilioSecrets secrets)
    {
        resource
            .WithEnvironment("Twilio__AccountSid", account.AccountSid)
            .WithEnvironment("Twilio__ApiKeySid", account.ApiKeySid)
            .WithEnvironment("Twilio__PhoneNumber", account.PhoneNumber);
        if (secrets.HasFlag(TwilioSecrets.AuthToken))
        {
            resource.WithEnvironment("Twilio__AuthToken", account.AuthToken);
        }

        if (secrets.HasFlag(TwilioSecrets.ApiKeySecret))
        {
            resource.WithEnvironment("Twilio__ApiKeySecret", account.ApiKeySecret);
        }

        return resource;
    }
}
