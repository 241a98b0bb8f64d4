using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using StackExchange.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WarmTransfer.CallCenter.Figures;
using WarmTransfer.CallCenter.State;
using static WarmTransfer.CallCenter.Domain.SessionEvent;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>
/// A scripted day with known outcomes, through the real stores and the figures consumer: the exported counters and
/// histograms are exactly what the script says.
/// </summary>
public sealed class ContactFiguresTests(RedisServer redis) : IClassFixture<RedisServer>, IDisposable
{
    private readonly ManualTime _time = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measured = new();
    private readonly MeterListener _listener = new();

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }

    [Fact]
    public async Task A_scripted_day_exports_exactly_its_offered_answered_abandoned_service_level_and_times()
    {
        await redis.Connection.GetServers()[0].FlushDatabaseAsync();
        var meters = _services.GetRequiredService<IMeterFactory>();
        var metrics = new CallCenterMetrics(meters, new OptionsMonitor(new FiguresOptions()));
        Listen(meters);
        var events = new ContactEventLog(redis.Connection);
        await events.EnsureGroupAsync(ContactFigures.Group);
        var sessions = new SessionStore(redis.Connection, _time, NullLogger<SessionStore>.Instance);

        // Six calls. Three answered after 10 s, 25 s and 5 s (two within the 20 s service level): the first held 30 s of its
        // 80 s, the second talked 40 s, the third was transferred to bob 12 s after alice asked and ended 30 s after it was
        // answered. Three abandoned: after 3 s in line (a short abandon), 45 s in line, and 30 s while alice was rung.
        await AnsweredAsync(sessions, wait: 10, then: async id =>
        {
            Step(20);
            await sessions.DecideAsync(id, new CustomerHoldChanged(true, 1));
            Step(30);
            await sessions.DecideAsync(id, new CustomerHoldChanged(false, 2));
            Step(30);
        });
        await AnsweredAsync(sessions, wait: 25, then: _ =>
        {
            Step(40);
            return Task.CompletedTask;
        });
        await AnsweredAsync(sessions, wait: 5, then: async id =>
        {
            Step(5);
            await sessions.DecideAsync(id, new TransferRequested("alice", "bob", "t1"));
            await sessions.DecideAsync(id, new LegProgress("t1", CallUnderTest.CallSidOf("t1"), LegCallStatus.InProgress));
            Step(12);
            await sessions.DecideAsync(id, new LeaveRequested("alice"));
            Step(13);
        });
        await AbandonedAsync(sessions, wait: 3, ringing: false);
        await AbandonedAsync(sessions, wait: 45, ringing: false);
        await AbandonedAsync(sessions, wait: 30, ringing: true);

        using var figures = new ContactFigures(events, metrics, redis.Connection, TimeProvider.System, NullLogger<ContactFigures>.Instance);
        await figures.StartAsync(CancellationToken.None);
        try
        {
            await Eventually.HoldsAsync(() => Task.FromResult(Sum("warmtransfer.calls.talk_time") > 0 && Count("warmtransfer.calls.abandoned") == 3),
                "the figures consumer counted the day");
        }
        finally
        {
            await figures.StopAsync(CancellationToken.None);
        }

        Assert.Equal(6, Count("warmtransfer.calls.offered"));
        Assert.Equal(2, Count("warmtransfer.calls.answered", ("within_service_level", true)));
        Assert.Equal(1, Count("warmtransfer.calls.answered", ("within_service_level", false)));
        Assert.Equal(1, Count("warmtransfer.calls.abandoned", ("short", true)));
        Assert.Equal(2, Count("warmtransfer.calls.abandoned", ("short", false)));
        Assert.Equal(1, Count("warmtransfer.calls.abandoned", ("short", false), ("where", "ringing")));
        Assert.Equal([5.0, 10, 25], Values("warmtransfer.calls.speed_of_answer"));
        Assert.Equal([30.0, 40, 50], Values("warmtransfer.calls.talk_time"));
        Assert.Equal([0.0, 0, 30], Values("warmtransfer.calls.hold_time"));
        Assert.Equal([12.0], Values("warmtransfer.transfers.time_to_transfer"));
        Assert.Equal(1, Count("warmtransfer.transfers", ("outcome", "completed")));

        // Service level as Asterisk's SL2: answered within the threshold / (answered + abandoned after the short-abandon window).
        var serviceLevel = Count("warmtransfer.calls.answered", ("within_service_level", true))
            / (double)(Count("warmtransfer.calls.answered") + Count("warmtransfer.calls.abandoned", ("short", false)));
        Assert.Equal(0.4, serviceLevel, precision: 10);
    }

    [Fact]
    public async Task The_gauges_are_read_from_the_line_as_it_is_when_exported()
    {
        await redis.Connection.GetServers()[0].FlushDatabaseAsync();
        var meters = _services.GetRequiredService<IMeterFactory>();
        var metrics = new CallCenterMetrics(meters, new OptionsMonitor(new FiguresOptions()));
        Listen(meters);
        var agents = new AgentStore(redis.Connection, TimeProvider.System, Options.Create(new PresenceOptions()));
        var sessions = new SessionStore(redis.Connection, TimeProvider.System, NullLogger<SessionStore>.Instance);

        // One agent is away, one available; two callers wait (the first for about a minute); one call is being transferred.
        await agents.HeartbeatAsync("alice", "page", SoftphoneState.Registered, 0, "leg0");
        await agents.HeartbeatAsync("bob", "page", SoftphoneState.Registered, 0, "leg0");
        await agents.ChoosePresenceAsync("bob", AgentStatus.Available, null, "leg0");
        await redis.Connection.GetDatabase().HashSetAsync(RedisKeys.CallersJoined, "CA-first", DateTimeOffset.UtcNow.AddSeconds(-61).ToUnixTimeMilliseconds());
        await redis.Connection.GetDatabase().ListRightPushAsync(RedisKeys.WaitingCallers, ["CA-first", "CA-second"]);
        var call = CallUnderTest.Consulting().Session with { Id = $"CA{Guid.NewGuid():N}" };
        await sessions.CreateAsync(call);
        await sessions.DecideAsync(call.Id, new HoldRequested("alice", true));

        using var figures = new ContactFigures(new ContactEventLog(redis.Connection), metrics, redis.Connection, TimeProvider.System,
            NullLogger<ContactFigures>.Instance);
        await figures.StartAsync(CancellationToken.None);
        await Eventually.HoldsAsync(() =>
        {
            _listener.RecordObservableInstruments();
            return Task.FromResult(Of("warmtransfer.callers.waiting").Any());
        }, "the gauges are observed");
        await figures.StopAsync(CancellationToken.None);

        Assert.Equal(2, Of("warmtransfer.callers.waiting").Last().Value);
        Assert.InRange(Of("warmtransfer.callers.longest_wait").Last().Value, 60, 70);
        Assert.Equal(1, Of("warmtransfer.agents", ("activity", "away")).Last().Value);
        Assert.Equal(1, Of("warmtransfer.agents", ("activity", "available")).Last().Value);
        Assert.Equal(1, Of("warmtransfer.calls.in_progress").Last().Value);
        Assert.Equal(1, Of("warmtransfer.transfers.in_progress").Last().Value);
    }

    private async Task AnsweredAsync(SessionStore sessions, int wait, Func<string, Task> then)
    {
        var id = await EnteredAsync(sessions);
        await sessions.DecideAsync(id, new AgentOffered("o1", "alice"));
        Step(wait);
        await sessions.DecideAsync(id, new LegProgress("o1", CallUnderTest.CallSidOf("o1"), LegCallStatus.InProgress));
        await then(id);
        await sessions.DecideAsync(id, new CustomerLeft(CallSid: id));
    }

    private async Task AbandonedAsync(SessionStore sessions, int wait, bool ringing)
    {
        var id = await EnteredAsync(sessions);
        if (ringing)
        {
            await sessions.DecideAsync(id, new AgentOffered("o1", "alice"));
        }

        Step(wait);
        await sessions.DecideAsync(id, new CustomerLeft(CallSid: id));
    }

    private async Task<string> EnteredAsync(SessionStore sessions)
    {
        var id = $"CA{Guid.NewGuid():N}";
        Assert.True(await sessions.CreateAsync(CallSession.Start(id, "+15550100", _time.GetUtcNow())));
        return id;
    }

    private void Step(int seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    private void Listen(IMeterFactory meters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == meters)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Measured(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Measured(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Measured(instrument, value, tags));
        _listener.Start();
    }

    private void Measured(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copied = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copied[tag.Key] = tag.Value;
        }

        _measured.Enqueue((instrument.Name, value, copied));
    }

    private IEnumerable<(string Instrument, double Value, Dictionary<string, object?> Tags)> Of(string instrument, params (string Key, object Value)[] tags) =>
        _measured.Where(m => m.Instrument == instrument && tags.All(tag => m.Tags.TryGetValue(tag.Key, out var value) && Equals(value, tag.Value)));

    private long Count(string instrument, params (string Key, object Value)[] tags) => (long)Of(instrument, tags).Sum(m => m.Value);

    private double Sum(string instrument) => Of(instrument).Sum(m => m.Value);

    private List<double> Values(string instrument) => [.. Of(instrument).Select(m => m.Value).Order()];

    private sealed class OptionsMonitor(FiguresOptions value) : IOptionsMonitor<FiguresOptions>
    {
        public FiguresOptions CurrentValue => value;

        public FiguresOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<FiguresOptions, string?> listener) => null;
    }
}
