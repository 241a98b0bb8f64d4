using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WarmTransfer.CallCenter.Messaging;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>A subscription whose prefetch comes from a setting handles that many messages at once, and no more.</summary>
[Collection(RabbitMQCollection.Name)]
public sealed class SubscriptionConcurrencyTests(RabbitMQServer rabbitmq, RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private QueueProbe _queues = null!;

    public async Task InitializeAsync()
    {
        _queues = await QueueProbe.ConnectAsync(rabbitmq);
        await _queues.PurgeAsync();
    }

    public async Task DisposeAsync() => await _queues.DisposeAsync();

    [Fact]
    public async Task A_worker_handles_as_many_messages_at_once_as_its_setting_says()
    {
        const int AtOnce = 3;
        await using var worker = await MessagingHost.StartAsync("concurrency-worker", redis, rabbitmq,
            new Dictionary<string, string?> { ["Test:AtOnce"] = $"{AtOnce}" },
            builder => builder.AddSubscription<DialRequest, HeldHandler>(WorkQueueTopology.DialQueue,
                prefetch: services => services.GetRequiredService<IConfiguration>().GetValue<ushort>("Test:AtOnce")));
        var handler = worker.Services.GetRequiredService<HeldHandler>();
        var publisher = worker.Services.GetRequiredService<IDialRequestPublisher>();

        for (var i = 0; i < AtOnce + 2; i++)
        {
            await publisher.PublishAsync(new DialRequest($"request-{i}", "session-1", $"leg{i}", "alice", AgentRole.Owner, DateTimeOffset.UnixEpoch),
                CancellationToken.None);
        }

        await Eventually.HoldsAsync(() => Task.FromResult(handler.Started == AtOnce), "the worker holding as many messages as its setting says");
        // The others wait in the queue while those are held.
        await Eventually.HoldsAsync(async () => await _queues.CountAsync(WorkQueueTopology.DialQueue) == 2, "two messages left in the queue");
        Assert.Equal(AtOnce, handler.Started);

        handler.Release.TrySetResult();
        await Eventually.HoldsAsync(() => Task.FromResult(handler.Started == AtOnce + 2), "the rest handled once those were done");
    }

    /// <summary>Holds every message until released.</summary>
    public sealed class HeldHandler : IMessageHandler<DialRequest>
    {
        private int _started;

        public int Started => Volatile.Read(ref _started);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<bool> HandleAsync(DialRequest message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _started);
            await Release.Task.WaitAsync(cancellationToken);
            return true;
        }
    }
}
