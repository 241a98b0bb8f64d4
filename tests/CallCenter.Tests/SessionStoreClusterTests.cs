using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.State;
using static WarmTransfer.CallCenter.Domain.SessionEvent;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>
/// Sessions on a real Redis Cluster: a transition touches its session's slot only, and its contact events reach the queue log
/// in the line's slot, on another node, each exactly once, even when that node stalls between the two.
/// </summary>
public sealed class SessionStoreClusterTests(RedisCluster cluster) : IClassFixture<RedisCluster>
{
    private readonly ContactEventLog _log = new(cluster.Connection);

    [Fact]
    public async Task A_sessions_transitions_are_written_on_a_cluster_and_their_events_reach_the_queue_log_once_each()
    {
        var store = new SessionStore(cluster.Connection, TimeProvider.System, NullLogger<SessionStore>.Instance);
        var id = SessionOnAnotherNodeThanTheQueueLog();

        Assert.True(await store.CreateAsync(CallSession.Start(id, "+15550100", DateTimeOffset.UtcNow)));
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Task.Run(() => store.DecideAsync(id, new AgentOffered("o1", "alice")))));
        await store.DecideAsync(id, new LegProgress("o1", CallUnderTest.CallSidOf("o1"), LegCallStatus.InProgress));
        await store.DecideAsync(id, new CustomerLeft(CallSid: id));

        Assert.True((await store.GetAsync(id))!.IsEnded);
        Assert.Equal([ContactEventKind.Entered, ContactEventKind.Offered, ContactEventKind.Answered, ContactEventKind.CallEnded],
            await LoggedAsync(id));
        await PendingAreDroppedAsync(id);
    }

    [Fact]
    public async Task When_the_queue_logs_node_stalls_the_transition_is_still_written_and_its_events_are_copied_once_afterwards()
    {
        // Gives up on a command after 300 ms, as a service does when a node stops answering.
        await using var impatient = await ConnectionMultiplexer.ConnectAsync($"{cluster.ConfigurationString},asyncTimeout=300,syncTimeout=300");
        var store = new SessionStore(impatient, TimeProvider.System, NullLogger<SessionStore>.Instance);
        var id = SessionOnAnotherNodeThanTheQueueLog();
        Assert.True(await store.CreateAsync(CallSession.Start(id, "+15550101", DateTimeOffset.UtcNow)));

        // The queue log's node answers nobody for two seconds: the offer is decided and written all the same.
        await cluster.NodeOf(RedisKeys.ContactEvents).ExecuteAsync("CLIENT", "PAUSE", "2000", "ALL");
        var offered = await store.DecideAsync(id, new AgentOffered("o1", "alice"));
        Assert.NotNull(offered);
        Assert.Equal(CallPhase.Offered, (await store.GetAsync(id))!.Phase);

        // Once the node answers again, whatever reached it is in the log once, and the copy that follows adds nothing twice.
        await Eventually.HoldsAsync(async () => (await LoggedAsync(id)).Count >= 1, "the queue log answers again");
        await store.CopyPendingEventsAsync(id);
        await store.CopyPendingEventsAsync(id);
        Assert.Equal([ContactEventKind.Entered, ContactEventKind.Offered], await LoggedAsync(id));
        await PendingAreDroppedAsync(id);
    }

    /// <summary>A new session id whose slot a different node serves than the queue log's: the write spans two nodes.</summary>
    private string SessionOnAnotherNodeThanTheQueueLog()
    {
        var log = cluster.NodeOf(RedisKeys.ContactEvents).EndPoint;
        while (true)
        {
            var id = $"CA{Guid.NewGuid():N}";
            if (!cluster.NodeOf(RedisKeys.Session(id)).EndPoint.Equals(log))
            {
                return id;
            }
        }
    }

    private async Task<List<ContactEventKind>> LoggedAsync(string sessionId) =>
        [.. (await _log.ReadAsync()).Select(entry => entry.Event).Where(e => e.SessionId == sessionId).Select(e => e.Kind)];

    private Task PendingAreDroppedAsync(string sessionId) =>
        Eventually.HoldsAsync(async () => await cluster.Connection.GetDatabase().ListLengthAsync(RedisKeys.PendingContactEvents(sessionId)) == 0,
            "the copied events are dropped from the session's slot");
}
