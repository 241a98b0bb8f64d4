using Microsoft.Extensions.DependencyInjection;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.Routing;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>A caller's session started through the services' own composition, on real Redis and RabbitMQ.</summary>
[Collection(RabbitMQCollection.Name)]
public sealed class CallSessionsTests(RabbitMQServer rabbitmq, RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    public async Task InitializeAsync() => await redis.Connection.GetServers()[0].FlushAllDatabasesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task An_incoming_call_handled_again_after_its_session_was_written_but_never_routed_is_put_in_line()
    {
        await using var webhook = await MessagingHost.StartAsync("incoming-webhook", redis, rabbitmq);
        var calls = webhook.Services.GetRequiredService<CallSessions>();
        var sessions = webhook.Services.GetRequiredService<SessionStore>();
        const string Caller = "CA00000000000000000000000000000042";

        // The first try wrote the session, then Redis failed under the line's claim (another node, in a cluster).
        Assert.True(await sessions.CreateAsync(CallSession.Start(Caller, "+15550100042", DateTimeOffset.UtcNow)));

        var place = await calls.StartAsync(Caller, "+15550100042", CancellationToken.None);

        Assert.Equal(1, place?.Position);
        // Asked once more, as Twilio may: the caller keeps their place, and is in line once.
        Assert.Equal(1, (await calls.StartAsync(Caller, "+15550100042", CancellationToken.None))?.Position);
        Assert.Equal([Caller], await webhook.Services.GetRequiredService<AgentStore>().WaitingAsync());
    }
}
