using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace WarmTransfer.AppHost;

/// <summary>
/// How many processes of each service run (section <c>Replicas</c>): each service's replicas share one endpoint, and Redis and
/// RabbitMQ hold everything they share, so any number of each works together.
/// </summary>
public sealed record ServiceReplicas(int WebhookApi = 1, int DialerWorker = 2, int AgentPortal = 2)
{
    public const string Section = "Replicas";

    /// <exception cref="ServiceReplicasException">A count is not a whole number from 1 to 50.</exception>
    public static ServiceReplicas From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var defaults = new ServiceReplicas();
        return new ServiceReplicas(
            Count(section, nameof(WebhookApi), defaults.WebhookApi),
            Count(section, nameof(DialerWorker), defaults.DialerWorker),
            Count(section, nameof(AgentPortal), defaults.AgentPortal));
    }

    private static int Count(IConfigurationSection section, string service, int fallback) => section[service] switch
    {
        null => fallback,
        var text when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count is >= 1 and <= 50 => count,
        var text => throw new ServiceReplicasException($"{Section}:{service} is '{text}': give a whole number of replicas from 1 to 50."),
    };
}

/// <summary>A replica count in the configuration that cannot be run.</summary>
public sealed class ServiceReplicasException(string message) : Exception(message);
