using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;

namespace WarmTransfer.AppHost.Tests;

/// <summary>One running AppHost shared by the tests of a collection; each test isolates itself.</summary>
public sealed class WarmTransferAppFixture : IAsyncLifetime
{
    private readonly string _dataDirectory = TestRun.NewDataDirectory();

    /// <summary>How long the portal's softphone tokens live in these tests.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromSeconds(12);

    /// <summary>How often a waiting caller hears their place in line in these tests.</summary>
    public static readonly TimeSpan AnnounceEvery = TimeSpan.FromSeconds(3);

    /// <summary>Longer than any wait the tests' own calls make the line expect: only a history a test writes makes an offer.</summary>
    public static readonly TimeSpan OfferCallbackAfter = TimeSpan.FromMinutes(30);

    public static readonly TimeSpan CallbackRetryDelay = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan OfferCallbackEvery = TimeSpan.FromSeconds(5);

    /// <summary>The calls-per-second budget the two worker replicas share in these tests.</summary>
    public const int CallsPerSecond = 5;

    /// <summary>
    /// The dialer's ring timeout in these tests, its lowest; with Twilio's 5 s buffer an unanswered softphone rings about 10 s.
    /// </summary>
    public const int RingTimeoutSeconds = 5;

    /// <summary>Agents for the tests that need many at once; they sign in with <see cref="LoadAgentPassword"/>.</summary>
    public static readonly IReadOnlyList<string> LoadAgents = [.. Enumerable.Range(1, 50).Select(i => $"load{i:00}")];

    public const string LoadAgentPassword = "load-agent-password";

    /// <summary>An agent (password <see cref="LoadAgentPassword"/>) whose wrap-up runs out within a test.</summary>
    public const string ShortWrapUpAgent = "wendy";

    public const int ShortWrapUpSeconds = 4;

    /// <summary>An agent whose wrap-up outlasts any test: it ends with Ready.</summary>
    public const string LongWrapUpAgent = "walter";

    public const int LongWrapUpSeconds = 600;

    /// <summary>Failed sign-ins from one address before it is locked out in these tests: each failure hashes a password.</summary>
    public const int AddressFailuresBeforeLockout = 20;

    /// <summary>An agent (password <see cref="LoadAgentPassword"/>) the sign-in tests lock out.</summary>
    public const string LockoutAgent = "lena";

    /// <summary>An agent (password <see cref="LoadAgentPassword"/>) in the watched directory file <see cref="AgentDirectoryFile"/>.</summary>
    public const string FileAgent = "rita";

    /// <summary>The portal's watched directory file: a test removes <see cref="FileAgent"/> from it.</summary>
    public string AgentDirectoryFile => Path.Combine(_dataDirectory, "agents.json");

    /// <summary>Where the app's local Redis and RabbitMQ keep their data and secrets.</summary>
    public string DataDirectory => _dataDirectory;

    /// <summary>An agent whose directory entry has a broken password hash.</summary>
    public const string BrokenHashAgent = "broken";

    // PBKDF2 of LoadAgentPassword, in the portal's format.
    internal const string LoadAgentPasswordHash = "pbkdf2-sha256$100000$efc6zPf6ty00biD2ZHgSJg==$6/4aQse4jo41baO9n64VDWogiUUMoA5qXiztg7CbLkg=";

    /// <summary>Carried by every process of this app, so a test can find (and kill) one.</summary>
    public RunMarker RunMarker { get; } = RunMarker.New(TestRun.MarkerVariable);

    public DistributedApplication App { get; private set; } = null!;

    private readonly ConcurrentDictionary<string, PortalClient> _sessions = [];


    /// <summary>From the start of the AppHost until every resource was healthy.</summary>
    public TimeSpan TimeToHealthy { get; private set; }

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(AppHostLauncher.StartTimeout);
        var builder = await AppHostLauncher.CreateBuilderAsync(_dataDirectory, RunMarker, timeout.Token,
            $"--Dialer:CallsPerSecond={CallsPerSecond}");
        // Short-lived softphone tokens: every open page renews its token every few seconds while the tests run.
        // Agents ring for a few seconds only: the tests of unanswered calls need not wait Twilio's usual time.
        AppHostLauncher.SetEnvironment(builder, "dialerworker", "Dialer__RingTimeoutSeconds",
            RingTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AppHostLauncher.SetEnvironment(builder, "agentportal", "Portal__TokenLifetime", TokenLifetime.ToString());
        AppHostLauncher.SetEnvironment(builder, "agentportal", "Portal__SignIn__AddressFailuresBeforeLockout",
            AddressFailuresBeforeLockout.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Waiting callers hear their place again within a test.
        AppHostLauncher.SetEnvironment(builder, "webhookapi", "Queue__AnnounceEvery", AnnounceEvery.ToString());
        // Callbacks are offered only on a history the callback tests write, and a missed one is tried again within a test.
        AppHostLauncher.SetEnvironment(builder, "webhookapi", "Queue__OfferCallbackAfter", OfferCallbackAfter.ToString());
        AppHostLauncher.SetEnvironment(builder, "webhookapi", "Queue__CallbackRetryDelay", CallbackRetryDelay.ToString());
        AppHostLauncher.SetEnvironment(builder, "webhookapi", "Queue__OfferCallbackEvery", OfferCallbackEvery.ToString());
        // Headless load agents beside the three development agents; none of them has a wrap-up but the two agents that test it.
        AppHostLauncher.SetDevelopmentAgentsWrapUp(builder, 0);
        AppHostLauncher.AddPortalAgents(builder, LoadAgents, i => $"Load agent {i + 1}", LoadAgentPasswordHash, _ => 0);
        AppHostLauncher.AddPortalAgents(builder, [ShortWrapUpAgent, LongWrapUpAgent], i => i == 0 ? "Wendy Wrap" : "Walter Wrap", LoadAgentPasswordHash,
            i => i == 0 ? ShortWrapUpSeconds : LongWrapUpSeconds, firstEntry: AppHostLauncher.DevelopmentAgents + LoadAgents.Count);
        // A directory entry whose stored hash is broken: signing in as them fails like a wrong password.
        AppHostLauncher.AddPortalAgents(builder, [BrokenHashAgent], _ => "Broken Entry", "pbkdf2-sha256$1000$not base64!$", _ => 0,
            firstEntry: AppHostLauncher.DevelopmentAgents + LoadAgents.Count + 2);
        AppHostLauncher.AddPortalAgents(builder, [LockoutAgent], _ => "Lena Lockout", LoadAgentPasswordHash, _ => 0,
            firstEntry: AppHostLauncher.DevelopmentAgents + LoadAgents.Count + 3);
        // More agents in a file the portal watches, as an operator would keep them.
        Directory.CreateDirectory(_dataDirectory);
        await File.WriteAllTextAsync(AgentDirectoryFile, System.Text.Json.JsonSerializer.Serialize(new[]
        {
            new { id = FileAgent, displayName = "Rita Roster", passwordHash = LoadAgentPasswordHash, wrapUpSeconds = 0 },
        }), timeout.Token);
        AppHostLauncher.SetEnvironment(builder, "agentportal", "Agents__DirectoryFile", AgentDirectoryFile);
        var stopwatch = Stopwatch.StartNew();
        App = await AppHostLauncher.StartHealthyAsync(builder, timeout.Token);
        TimeToHealthy = stopwatch.Elapsed;
    }

    /// <summary>
    /// Ends whatever an earlier test left running (a failed one stops midway), so each test starts with no call and the
    /// development agents away.
    /// </summary>
    public async Task ResetAsync()
    {
        using var emulator = EmulatorAdmin.For(App);
        await emulator.HangUpEveryCallAsync();
        await DropWaitingCallbacksAsync();
        await LineEmptiedAsync();
        foreach (var agent in new[] { "agent1", "agent2", "agent3" })
        {
            var session = await SessionAsync(agent, $"{agent}-dev-password");
            await session.PostOkAsync("/api/presence", new { status = "away" });
            // A page an earlier test left open would keep the agent routable behind the next test's back.
            await Eventually.HoldsAsync(async () =>
            {
                var me = await (await session.GetAsync("/api/me")).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
                return me.GetProperty("status").GetString() != "away" ? $"{agent} is still {me.GetProperty("status").GetString()}"
                    : me.TryGetProperty("softphone", out var softphone) && softphone.ValueKind != System.Text.Json.JsonValueKind.Null ? $"{agent}'s page from an earlier test is still open"
                    : null;
            }, TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>
    /// Callers hung up a moment ago leave the line as their calls' last callbacks arrive: the next test's agent is not offered
    /// one of them first.
    /// </summary>
    private async Task LineEmptiedAsync()
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync((await App.GetConnectionStringAsync("redis"))!);
        await Eventually.HoldsAsync(async () => await redis.GetDatabase().ListLengthAsync(SystemState.WaitingLine) is var waiting and > 0
            ? $"{waiting} callers still in line" : null, TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Callbacks an earlier test left in line outlive every call by design: their sessions are dropped (as if they expired), and
    /// the line lets go of what it held for them.
    /// </summary>
    private async Task DropWaitingCallbacksAsync()
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync((await App.GetConnectionStringAsync("redis"))!);
        var db = redis.GetDatabase();
        foreach (var sessionId in (await db.ListRangeAsync(SystemState.WaitingLine)).Select(v => v.ToString())
            .Concat((await db.SortedSetRangeByRankAsync("wt:sessions:callbacks-due")).Select(v => v.ToString())))
        {
            var state = await db.HashGetAsync($"wt:session:{{{sessionId}}}", "state");
            if (!state.IsNull && System.Text.Json.JsonDocument.Parse((string)state!).RootElement.TryGetProperty("callback", out var callback)
                && callback.ValueKind != System.Text.Json.JsonValueKind.Null)
            {
                await db.KeyDeleteAsync($"wt:session:{{{sessionId}}}");
                await db.ListRemoveAsync(SystemState.WaitingLine, sessionId);
                await db.HashDeleteAsync("wt:{line}:callers:joined", sessionId);
                await db.SortedSetRemoveAsync("wt:sessions:callbacks-due", sessionId);
            }
        }
    }

    /// <summary>
    /// The fixture's own sign-in as an agent (for resets and load agents), kept from test to test until a test ends it: a
    /// sign-in costs a full password hash.
    /// </summary>
    private async Task<PortalClient> SessionAsync(string agent, string password)
    {
        if (_sessions.TryGetValue(agent, out var kept))
        {
            using var me = await kept.GetAsync("/api/me");
            if (me.IsSuccessStatusCode)
            {
                return kept;
            }

            kept.Dispose();
        }

        return _sessions[agent] = await PortalClient.SignInAsync(App, agent, password);
    }

    /// <summary>
    /// Every load agent signed in and available, their calls answered as <paramref name="headlessBrowser"/> says (given the
    /// agent's id); disposing sets them away again.
    /// </summary>
    public Task<SignedInAgents> AvailableLoadAgentsAsync(Func<string, Task> headlessBrowser) =>
        SignedInAgents.AvailableAsync(LoadAgents, headlessBrowser, agent => SessionAsync(agent, LoadAgentPassword));

    public async Task DisposeAsync()
    {
        foreach (var session in _sessions.Values)
        {
            session.Dispose();
        }

        if (App is not null)
        {
            await App.DisposeAsync();
        }

        AppHostLauncher.DeleteDataDirectory(_dataDirectory);
    }
}

/// <summary>Agents at their desks for one test; disposed, they are away with their pages closed (the sign-ins are the fixture's).</summary>
public sealed class SignedInAgents : IAsyncDisposable
{
    private readonly List<PortalClient> _sessions = [];

    /// <summary>
    /// The agents signed in and available, their calls answered as <paramref name="headlessBrowser"/> says. Signed in a few at a
    /// time: a first sign-in spends most of its time hashing the password, on either portal replica.
    /// </summary>
    public static async Task<SignedInAgents> AvailableAsync(IReadOnlyList<string> agentIds, Func<string, Task> headlessBrowser,
        Func<string, Task<PortalClient>> signIn)
    {
        var sessions = new PortalClient[agentIds.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, agentIds.Count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
        {
            await headlessBrowser(agentIds[i]);
            sessions[i] = await signIn(agentIds[i]);
        });
        var agents = new SignedInAgents();
        try
        {
            foreach (var session in sessions)
            {
                agents.Add(session);
                await session.GoAvailableAsync();
            }

            return agents;
        }
        catch
        {
            await agents.DisposeAsync();
            throw;
        }
    }

    public void Add(PortalClient session) => _sessions.Add(session);

    /// <summary>Every agent is set away, even when one of them cannot be; what went wrong is thrown afterwards.</summary>
    public async ValueTask DisposeAsync()
    {
        var failures = new List<Exception>();
        foreach (var session in _sessions)
        {
            try
            {
                await session.PostOkAsync("/api/presence", new { status = "away" });
            }
            catch (HttpRequestException exception)
            {
                failures.Add(exception);
            }
            finally
            {
                await session.CloseDeskAsync();
            }
        }

        if (failures.Count > 0)
        {
            throw new AggregateException("Some load agents could not be set away", failures);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class WarmTransferAppCollection : ICollectionFixture<WarmTransferAppFixture>, ICollectionFixture<Browser.BrowserFixture>
{
    public const string Name = "WarmTransfer app";
}
