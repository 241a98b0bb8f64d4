using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using WarmTransfer.CallCenter.State;
using static WarmTransfer.CallCenter.Domain.SessionEvent;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>Sessions stored in a real Redis: one key each, every transition one compare-and-set.</summary>
public sealed class SessionStoreTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private readonly SessionStore _store = new(redis.Connection, TimeProvider.System, NullLogger<SessionStore>.Instance);

    private static string NewCallSid() => $"CA{Guid.NewGuid():N}";

    [Fact]
    public async Task A_session_is_created_once_and_read_back_whole()
    {
        var call = CallUnderTest.Consulting();
        var session = call.Session with { Id = NewCallSid() };

        Assert.True(await _store.CreateAsync(session));
        Assert.False(await _store.CreateAsync(session with { Phase = CallPhase.Waiting }));

        var stored = await _store.GetAsync(session.Id);
        Assert.NotNull(stored);
        Assert.Equal(session with { Legs = stored.Legs }, stored);
        Assert.Equal(session.Legs, stored.Legs);
        Assert.Equal(TransferOutcome.Consulting, stored.Transfer!.Outcome);
    }

    [Fact]
    public async Task Concurrent_events_are_each_decided_on_the_latest_session_and_none_is_lost()
    {
        var id = NewCallSid();
        await _store.CreateAsync(CallSession.Start(id, null, DateTimeOffset.UtcNow));

        var decisions = await Task.WhenAll(Enumerable.Range(1, 40).Select(sequence =>
            Task.Run(() => _store.DecideAsync(id, new CustomerHoldChanged(sequence % 2 == 0, sequence)))));

        var stored = await _store.GetAsync(id);
        Assert.Equal(40, stored!.Customer.HoldSequence);
        Assert.True(stored.Customer.OnHold);
        Assert.Equal(decisions.Count(d => d!.Changed), stored.Version);
    }

    [Fact]
    public async Task An_event_that_changes_nothing_writes_nothing()
    {
        var id = NewCallSid();
        await _store.CreateAsync(CallSession.Start(id, null, DateTimeOffset.UtcNow));
        await _store.DecideAsync(id, new CustomerHoldChanged(true, 3));

        var decision = await _store.DecideAsync(id, new CustomerHoldChanged(false, 2));

        Assert.False(decision!.Changed);
        Assert.Equal(1, (await _store.GetAsync(id))!.Version);
    }

    [Fact]
    public async Task An_event_for_an_unknown_session_is_decided_on_nothing()
    {
        Assert.Null(await _store.DecideAsync(NewCallSid(), new CustomerLeft()));
    }

    [Fact]
    public async Task A_session_key_expires_after_the_longest_call_and_lives_in_its_own_cluster_slot()
    {
        var id = NewCallSid();
        await _store.CreateAsync(CallSession.Start(id, null, DateTimeOffset.UtcNow));

        var ttl = await redis.Connection.GetDatabase().KeyTimeToLiveAsync(RedisKeys.Session(id));

        Assert.InRange(ttl!.Value, SessionStore.Lifetime - TimeSpan.FromMinutes(1), SessionStore.Lifetime);
        Assert.Equal($"wt:session:{{{id}}}", RedisKeys.Session(id).ToString());
    }
}
