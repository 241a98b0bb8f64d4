using System.Text.Json;

namespace WarmTransfer.AppHost.Infrastructure;

/// <summary>
/// What each call-center service may do on Redis and RabbitMQ. Every service logs in as its own user: the webhook and the
/// worker cannot read or write the portal's keys (its encrypted key ring, sessions, password hashes, sign-in lockouts), and
/// only the worker may take dial requests and call commands, only the portal agent updates.
/// </summary>
public static class ServiceAccounts
{
    public const string WebhookApi = "webhookapi";
    public const string DialerWorker = "dialerworker";
    public const string AgentPortal = "agentportal";

    public static readonly IReadOnlyList<string> Services = [WebhookApi, DialerWorker, AgentPortal];

    // StackExchange.Redis' connection upkeep (server info and role, cluster layout, client name, its configuration channel)
    // and every data command; no administration (CONFIG SET, FLUSHALL, KEYS, DEBUG, ACL ...).
    private const string RedisCommands =
        "+@all -@dangerous +info +role +config|get +client|setname +cluster|info +cluster|nodes " +
        "+cluster|slots +cluster|shards resetchannels &__Booksleeve_MasterChanged";

    // The call's keys: the line, sessions and their sweep, dial records and pacing, the outbox.
    private const string CallKeys = "~wt:{line}:* ~wt:session:* ~wt:sessions:* ~wt:reconciler:* ~wt:dial:* ~wt:outbox:*";

    /// <summary>The service's Redis ACL rules.</summary>
    public static string RedisRules(string service) => service switch
    {
        WebhookApi => $"{RedisCommands} {CallKeys} ~wt:webhooks:*",
        DialerWorker => $"{RedisCommands} {CallKeys}",
        // The portal's own keys, and the SignalR backplane's and sign-out's channels.
        AgentPortal => $"{RedisCommands} {CallKeys} ~wt:portal:* &wt:portal*",
        _ => throw new ArgumentOutOfRangeException(nameof(service), service, "not a call-center service"),
    };

    // The call center's exchanges and queues, as the services declare them.
    private static readonly Dictionary<string, object>[] TopologyExchanges =
    [
        Exchange("warmtransfer.dial.dead-letter", "fanout"),
        Exchange("warmtransfer.dial", "direct"),
        Exchange("warmtransfer.agent-updates", "fanout"),
    ];

    // Quorum queues (replicated on every node of a cluster); a work queue refuses a publish when full and dead-letters at
    // least once, and the broker puts aside a message handed out 20 times that never came back settled.
    private static readonly Dictionary<string, object>[] TopologyQueues =
    [
        Queue("dial-requests.dead-letter", new()),
        Queue("dial-requests", WorkQueue()),
        Queue("call-commands", WorkQueue()),
        Queue("agent-updates", new() { ["x-message-ttl"] = 30_000 }),
    ];

    private static Dictionary<string, object> WorkQueue() => new()
    {
        ["x-dead-letter-exchange"] = "warmtransfer.dial.dead-letter",
        ["x-dead-letter-strategy"] = "at-least-once",
        ["x-overflow"] = "reject-publish",
        ["x-delivery-limit"] = 20,
    };

    private static readonly string[] Exchanges = [.. TopologyExchanges.Select(exchange => (string)exchange["name"])];
    private static readonly string[] Queues = [.. TopologyQueues.Select(queue => (string)queue["name"])];

    /// <summary>
    /// The service's RabbitMQ permissions as JSON members. Every service declares the topology (idempotently) and binds it, so it
    /// may configure and write those names; reading (consuming) is only for the queues the service consumes.
    /// </summary>
    public static string RabbitMQPermissions(string service)
    {
        string[] consumed = service switch
        {
            WebhookApi => [],
            DialerWorker => ["dial-requests", "call-commands"],
            AgentPortal => ["agent-updates"],
            _ => throw new ArgumentOutOfRangeException(nameof(service), service, "not a call-center service"),
        };
        var permissions = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["configure"] = Names([.. Exchanges, .. Queues]),
            ["write"] = Names([.. Exchanges, .. Queues]),
            ["read"] = Names([.. Exchanges, .. consumed]),
        });
        return permissions[1..^1];
    }

    /// <summary>
    /// The queues, exchanges and bindings the services declare, created by the server at boot so they exist before any service
    /// connects (RabbitMQ lets only a user who may read a queue create it with a dead-letter exchange; a service's own
    /// declaration of an existing queue then changes nothing), and the queues' bounds: a full work queue refuses the publish
    /// (the publisher keeps it in its outbox), the dead-letter queue keeps its newest messages, and agent updates (stale after
    /// 30 s anyway) their newest. As JSON members of a definitions file.
    /// </summary>
    public static readonly string RabbitMQTopology = JsonSerializer.Serialize(new Dictionary<string, object[]>
    {
        ["exchanges"] = TopologyExchanges,
        ["queues"] = TopologyQueues,
        ["bindings"] =
        [
            Binding("warmtransfer.dial.dead-letter", "dial-requests.dead-letter", ""),
            Binding("warmtransfer.dial", "dial-requests", "dial"),
            Binding("warmtransfer.dial", "call-commands", "command"),
            Binding("warmtransfer.agent-updates", "agent-updates", ""),
        ],
        ["policies"] =
        [
            Policy("work-queues-bound", "^(dial-requests|call-commands)$", new() { ["max-length"] = 100_000 }),
            Policy("dead-letters-bound", "^dial-requests\\.dead-letter$", new() { ["max-length"] = 100_000, ["overflow"] = "drop-head" }),
            Policy("agent-updates-bound", "^agent-updates$", new() { ["max-length"] = 10_000, ["overflow"] = "drop-head" }),
        ],
    })[1..^1];

    private static Dictionary<string, object> Exchange(string name, string type) => new()
    {
        ["vhost"] = "/",
        ["name"] = name,
        ["type"] = type,
        ["durable"] = true,
        ["auto_delete"] = false,
        ["internal"] = false,
        ["arguments"] = new Dictionary<string, object>(),
    };

    private static Dictionary<string, object> Queue(string name, Dictionary<string, object> arguments) => new()
    {
        ["vhost"] = "/",
        ["name"] = name,
        ["durable"] = true,
        ["auto_delete"] = false,
        ["arguments"] = new Dictionary<string, object>(arguments) { ["x-queue-type"] = "quorum" },
    };

    private static Dictionary<string, object> Binding(string exchange, string queue, string routingKey) => new()
    {
        ["vhost"] = "/",
        ["source"] = exchange,
        ["destination"] = queue,
        ["destination_type"] = "queue",
        ["routing_key"] = routingKey,
        ["arguments"] = new Dictionary<string, object>(),
    };

    private static Dictionary<string, object> Policy(string name, string pattern, Dictionary<string, object> definition) => new()
    {
        ["vhost"] = "/",
        ["name"] = name,
        ["pattern"] = pattern,
        ["apply-to"] = "queues",
        ["priority"] = 0,
        ["definition"] = definition,
    };

    private static string Names(IEnumerable<string> names) => $"^({string.Join('|', names.Select(System.Text.RegularExpressions.Regex.Escape))})$";
}
