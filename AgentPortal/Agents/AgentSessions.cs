using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace WarmTransfer.AgentPortal.Agents;

/// <summary>
/// Each sign-in is a session record in Redis, named by the cookie's <see cref="SessionClaim"/> and living at most
/// <see cref="PortalOptions.SessionLifetime"/> from sign-in. A cookie counts only while its session record exists and its agent
/// is in the directory: signing out deletes the record, so a copied cookie stops working at once, and every replica closes the
/// session's hub connections; an agent removed from the directory loses every cookie and hub connection the same moment.
/// Every replica listens for ended sessions from its start (a hosted service), before it takes a request.
/// </summary>
public sealed class AgentSessions : IHostedService, IDisposable
{
    public const string SessionClaim = "wt:session";

    private static readonly RedisChannel Ended = RedisChannel.Literal("wt:portal:sessions:ended");

    private readonly IConnectionMultiplexer _redis;
    private readonly IOptionsMonitor<AgentDirectoryOptions> _directory;
    private readonly IOptions<PortalOptions> _portal;
    private readonly ILogger<AgentSessions> _logger;
    private readonly ConcurrentDictionary<string, HubCallerContext> _connections = new();
    private readonly IDisposable? _directoryChanges;

    public AgentSessions(
        IConnectionMultiplexer redis, IOptionsMonitor<AgentDirectoryOptions> directory, IOptions<PortalOptions> portal, ILogger<AgentSessions> logger)
    {
        _redis = redis;
        _directory = directory;
        _portal = portal;
        _logger = logger;
        _directoryChanges = directory.OnChange(current => Close(connection => current.Find(AgentOf(connection)) is null));
    }

    // Subscribed at start, not when first needed: a subscription made inside the first requests blocked a thread each while
    // a burst of sign-ins waited for it, and the thread pool starved until Redis timed out (500 at sign-in).
    Task IHostedService.StartAsync(CancellationToken cancellationToken) =>
        _redis.GetSubscriber().SubscribeAsync(Ended, (_, session) => Close(connection => SessionOf(connection) == session));

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A new session for the agent: its id goes into the cookie.</summary>
    public async Task<string> StartAsync(string agentId)
    {
        var session = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        await _redis.GetDatabase().StringSetAsync(Key(session), agentId, _portal.Value.SessionLifetime);
        return session;
    }

    /// <summary>Whether the signed-in user's session still stands: its record exists, for this agent, who is in the directory.</summary>
    public async Task<bool> IsCurrentAsync(ClaimsPrincipal user)
    {
        var agentId = user.FindFirstValue(ClaimTypes.NameIdentifier);
        var session = user.FindFirstValue(SessionClaim);
        if (agentId is null || session is null)
        {
            return false;
        }

        if (_directory.CurrentValue.Find(agentId) is null)
        {
            _logger.LogInformation("The sign-in of {AgentId} is refused: they are not in the agent directory", agentId);
            return false;
        }

        if (await _redis.GetDatabase().StringGetAsync(Key(session)) != agentId)
        {
            _logger.LogInformation("The sign-in of {AgentId} is refused: its session was ended or ran out", agentId);
            return false;
        }

        return true;
    }

    /// <summary>Ends the session: its cookie no longer counts anywhere, and its hub connections close on every replica.</summary>
    public async Task EndAsync(ClaimsPrincipal user)
    {
        if (user.FindFirstValue(SessionClaim) is { } session)
        {
            await _redis.GetDatabase().KeyDeleteAsync(Key(session));
            await _redis.GetSubscriber().PublishAsync(Ended, session);
        }
    }

    /// <summary>A hub connection of this replica, closed when its session ends.</summary>
    public void Connected(HubCallerContext connection) => _connections[connection.ConnectionId] = connection;

    public void Disconnected(HubCallerContext connection) => _connections.TryRemove(connection.ConnectionId, out _);

    /// <summary>
    /// Keeps track of this replica's hub connections, and refuses a call on a connection whose session has ended. Signing out and
    /// leaving the directory close the connections at once (above); the record is read again at most every
    /// <see cref="RecheckEvery"/> on a busy connection, for what no message announces (the session's lifetime running out) or a
    /// message lost. Reading it on every heartbeat was an eighth of the portal's processor time with 400 agents signed in.
    /// </summary>
    public sealed class HubFilter(AgentSessions sessions, TimeProvider time) : IHubFilter
    {
        public static readonly TimeSpan RecheckEvery = TimeSpan.FromSeconds(10);

        private const string CheckedAt = "wt:session-checked-at";

        public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
        {
            sessions.Connected(context.Context);
            // Checked after the connection is known: a session that ended while it was opening is not missed.
            if (!await IsCurrentAsync(context.Context))
            {
                context.Context.Abort();
                return;
            }

            await next(context);
        }

        public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
        {
            sessions.Disconnected(context.Context);
            await next(context, exception);
        }

        public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocation, Func<HubInvocationContext, ValueTask<object?>> next)
        {
            var connection = invocation.Context;
            var recent = connection.Items.TryGetValue(CheckedAt, out var at) && at is long checkedAt && time.GetElapsedTime(checkedAt) < RecheckEvery;
            if (!recent && !await IsCurrentAsync(connection))
            {
                connection.Abort();
                throw new HubException("Your session has ended: sign in again.");
            }

            return await next(invocation);
        }

        private async Task<bool> IsCurrentAsync(HubCallerContext connection)
        {
            var checkedAt = time.GetTimestamp();
            if (!await sessions.IsCurrentAsync(connection.User ?? new ClaimsPrincipal()))
            {
                return false;
            }

            connection.Items[CheckedAt] = checkedAt;
            return true;
        }
    }

    private void Close(Func<HubCallerContext, bool> ended)
    {
        foreach (var connection in _connections.Values.Where(ended))
        {
            _logger.LogInformation("Closing the agent hub connection of {AgentId}: their session ended", AgentOf(connection));
            connection.Abort();
        }
    }

    private static string? SessionOf(HubCallerContext connection) => connection.User?.FindFirstValue(SessionClaim);

    private static string AgentOf(HubCallerContext connection) => connection.User?.FindFirstValue(ClaimTypes.NameIdentifier) ?? string.Empty;

    private static RedisKey Key(string session) => $"wt:portal:session:{session}";

    public void Dispose() => _directoryChanges?.Dispose();
}
