using StackExchange.Redis;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.Benchmarks;

/// <summary>Customers calling at a fixed rate, and what the emulator logged from just before the first of them.</summary>
/// <param name="HungUp">Done once every customer who hangs up by themselves (<c>hangUpAfter</c>) has.</param>
public sealed record CallWave(HashSet<string> Customers, EventFeed Feed, LoadResult Placing, Task HungUp)
{
    /// <summary>
    /// Places <c>rate × duration</c> customers, open loop, numbered from <paramref name="firstNumber"/>; with
    /// <paramref name="hangUpAfter"/>, each hangs up that long after they called.
    /// </summary>
    public static async Task<CallWave> PlaceAsync(BenchSystem system, double rate, TimeSpan duration, long firstNumber, CancellationToken cancellationToken,
        TimeSpan? hangUpAfter = null)
    {
        var feed = new EventFeed(system.Emulator);
        await feed.SkipPastAsync(cancellationToken);
        var customers = new string[Math.Max(1, (int)Math.Round(rate * duration.TotalSeconds))];
        var hangUps = new Task[customers.Length];
        var placing = await OpenLoop.RunAsync(rate, duration, async (i, ct) =>
        {
            var customer = customers[i] = await system.Emulator.CallSupportLineAsync(IncomingCallWebhook.Number(firstNumber + i), ct);
            hangUps[i] = hangUpAfter is { } talk ? HangUpLaterAsync(system, customer, talk, cancellationToken) : Task.CompletedTask;
            return true;
        }, cancellationToken);
        return new CallWave(customers.Where(c => c is not null).ToHashSet(StringComparer.Ordinal), feed, placing,
            Task.WhenAll(hangUps.Where(h => h is not null)));
    }

    private static async Task HangUpLaterAsync(BenchSystem system, string customer, TimeSpan after, CancellationToken cancellationToken)
    {
        await Task.Delay(after, cancellationToken);
        await system.Emulator.HangUpAsync(customer, cancellationToken);
    }

    /// <summary>
    /// Waves of customers at the measured rate, each answered, hung up and settled after, so that the measured window runs on the
    /// services' final code: the runtime compiles a method again, optimised, only after it has been called 30 times with no new
    /// method compiled for a moment, so one wave compiles the path and the next ones make it hot. Returns how many called.
    /// </summary>
    /// <param name="idleCores">What the services use idle (<see cref="BenchSystem.IdleCoresAsync"/>): settled is a little above it.</param>
    /// <param name="hangUpAfter">As <see cref="PlaceAsync"/>: each customer hangs up that long after calling; with none, all do once answered.</param>
    public static async Task<int> WarmUpAsync(BenchSystem system, string scenario, double rate, TimeSpan duration, int waves, int agents,
        TimeSpan settleTimeout, double idleCores, CancellationToken cancellationToken, TimeSpan? hangUpAfter = null)
    {
        var called = 0;
        for (var wave = 1; wave <= waves; wave++)
        {
            Progress.Report(scenario, $"warm-up {wave} of {waves}: customers calling at {rate:0.#} calls/s for {duration.TotalSeconds:0.#} s");
            var warmup = await PlaceAsync(system, rate, duration, firstNumber: (long)agents * wave, cancellationToken, hangUpAfter);
            await warmup.AllAnsweredAsync(TimeSpan.FromSeconds(60), cancellationToken);
            if (hangUpAfter is null)
            {
                await warmup.EndAsync(system, agents, cancellationToken);
            }
            else
            {
                await warmup.HungUp;
                await AgentsAvailableAsync(system, agents, cancellationToken);
            }

            var settled = await system.QuietAsync(settleTimeout, idleCores, cancellationToken);
            Progress.Report(scenario, $"warm-up {wave} over; the services settled after {settled.TotalSeconds:0} s");
            called += warmup.Customers.Count;
        }

        return called;
    }

    /// <summary>How many of the customers an agent has joined so far.</summary>
    public int Answered => Answers(Feed.Events).Keys.Count(Customers.Contains);

    /// <summary>Reads the emulator's log until an agent joined every customer, or the timeout passed.</summary>
    public Task<bool> AllAnsweredAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        Feed.ReadUntilAsync(events => Answers(events).Keys.Count(Customers.Contains) == Customers.Count, timeout, cancellationToken);

    /// <summary>The customers hang up; returns once all <paramref name="agents"/> are available again.</summary>
    public Task EndAsync(BenchSystem system, int agents, CancellationToken cancellationToken) =>
        HangUpAsync(system, Customers, agents, cancellationToken);

    /// <summary>These customers hang up; returns once <paramref name="agents"/> agents are available again.</summary>
    public static async Task HangUpAsync(BenchSystem system, IEnumerable<string> customers, int agents, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(customers, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (customer, ct) => await system.Emulator.HangUpAsync(customer, ct));
        await AgentsAvailableAsync(system, agents, cancellationToken);
    }

    /// <summary>Returns once <paramref name="agents"/> agents are available.</summary>
    public static async Task AgentsAvailableAsync(BenchSystem system, int agents, CancellationToken cancellationToken)
    {
        // A patient client: the bench's own threads may be busy with hundreds of agents' pages.
        var options = ConfigurationOptions.Parse((await system.App.GetConnectionStringAsync("redis", cancellationToken))!);
        options.AsyncTimeout = options.SyncTimeout = (int)TimeSpan.FromSeconds(30).TotalMilliseconds;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (await redis.GetDatabase().SortedSetLengthAsync(RedisKeys.AvailableAgents) < agents)
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"the {agents} agents were not all available again within 60 s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    /// <summary>When another call than the customer's own first joined each customer's conference (named after the customer's call).</summary>
    public static Dictionary<string, DateTimeOffset> Answers(IEnumerable<EmulatorEvent> events) =>
        events.Where(e => e.JoinedConference is { } conference && conference != e.CallSid)
            .GroupBy(e => e.JoinedConference!)
            .ToDictionary(g => g.Key, g => g.Min(e => e.Timestamp), StringComparer.Ordinal);
}
