using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WarmTransfer.AppHost;
using WarmTransfer.AppHost.Infrastructure;
using WarmTransfer.AppHost.Twilio;

var builder = DistributedApplication.CreateBuilder(args);

TwilioAccount twilio;
InfrastructurePlan infrastructure;
ServiceReplicas replicas;
try
{
    twilio = builder.AddTwilioAccount();
    replicas = ServiceReplicas.From(builder.Configuration);
    infrastructure = InfrastructureSelector.Select(
        InfrastructureOptions.From(builder.Configuration), RepositoryRoot.Find(builder.AppHostDirectory), builder.ExecutionContext);
}
catch (Exception exception) when (exception is TwilioSettingsException or InfrastructureUnavailableException or ServiceReplicasException)
{
    Console.Error.WriteLine(exception.Message);
    return 1;
}

Console.WriteLine(twilio.IsEmulated
    ? "WarmTransfer runs against the Twilio emulator: no Twilio account is configured."
    : $"WarmTransfer runs against the real Twilio account {twilio.AccountSid}, which calls WebhookApi at {twilio.PublicWebhookBaseUrl}.");

var servers = builder.AddCallCenterInfrastructure(infrastructure);

var webhooks = builder.AddProject<Projects.WebhookApi>("webhookapi")
    .WithReplicas(replicas.WebhookApi)
    .WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
    .WithHttpEndpoint()
    .WithCallCenterInfrastructure(servers)
    .WithHttpHealthCheck("/health");

// With no Twilio account configured, the emulator stands in for Twilio.
var emulator = twilio.IsEmulated
    ? builder.AddTwilioEmulator("twilio-emulator", twilio,
        voiceUrl: () => ReferenceExpression.Create($"{webhooks.GetEndpoint("http")}/voice/incoming"))
    : null;

webhooks.WithTwilio(twilio, TwilioSecrets.AuthToken, emulator, webhooks);

// The account's calls-per-second limit, shared by the replicas: Twilio's default of 1, or 10 against the emulator.
var callsPerSecond = builder.Configuration["Dialer:CallsPerSecond"] ?? (twilio.IsEmulated ? "10" : "1");
builder.AddProject<Projects.DialerWorker>("dialerworker")
    .WithReplicas(replicas.DialerWorker)
    .WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
    .WithEnvironment("Dialer__CallsPerSecond", callsPerSecond)
    .WithHttpEndpoint()
    .WithCallCenterInfrastructure(servers)
    .WithTwilio(twilio, TwilioSecrets.ApiKeySecret, emulator, webhooks)
    .WithHttpHealthCheck("/health");

// Replicas behind one endpoint: pushes reach an agent through the SignalR Redis backplane, whichever replica they use.
var portal = builder.AddProject<Projects.AgentPortal>("agentportal")
    .WithReplicas(replicas.AgentPortal)
    .WithHttpEndpoint()
    .WithCallCenterInfrastructure(servers)
    .WithTwilio(twilio, TwilioSecrets.ApiKeySecret, emulator, webhooks)
    .WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
    .WithEnvironment("Portal__KeyRing__Secret", servers.KeyRingSecret)
    .WithHttpHealthCheck("/health")
    .WithUrlForEndpoint("http", url => url.DisplayText = "Agent portal");

if (emulator is not null)
{
    portal.WithDevelopmentAgents();
}

builder.Eventing.Subscribe<ResourceReadyEvent>(portal.Resource, (@event, _) =>
{
    var logger = @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger("WarmTransfer");
    logger.LogInformation("Agent portal: {PortalUrl}", portal.GetEndpoint("http").Url);
    if (emulator is not null)
    {
        logger.LogInformation("Twilio emulator (place a simulated customer call): {EmulatorUrl}", emulator.GetEndpoint("http").Url);
    }

    return Task.CompletedTask;
});

builder.Build().Run();
return 0;
