using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WarmTransfer.CallCenter.Messaging;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>
/// How a worker consumes a queue: as many messages at once as its subscription says, and a message whose handler keeps failing
/// tried a bounded number of times, then dead-lettered, never looped.
/// </summary>
[Collection(RabbitMQCollection.Name)]
public sealed class QueueConsumerTests(RabbitMQServer rabbitmq, RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private const int DeliveryLimit = 3;

    private QueueProbe _queues = null!;

    public async Task InitializeAsync()
    {
        _queues = await QueueProbe.ConnectAsync(rabbitmq);
        await _queues.PurgeAsync();
    }

    public async Task DisposeAsync() => await _queues.DisposeAsync();

    [Fact]
    public async Task A_poison_message_reaches_the_dead_letter_queue_after_the_delivery_limit_and_is_not_redelivered()
    {
        var deadLetters = await _queues.ReadAsync(WorkQueueTopology.DeadLetterQueue);
        await using var worker = await MessagingHost.StartAsync("poison-worker", redis, rabbitmq,
            new Dictionary<string, string?>
            {
                ["Messaging:DeliveryLimit"] = $"{DeliveryLimit}",
                ["Messaging:RetryDelay"] = "00:00:00.050",
            },
            builder => builder.AddSubscription<DialRequest, FailingHandler>(WorkQueueTopology.DialQueue, prefetch: 4));
        var handler = worker.Services.GetRequiredService<FailingHandler>();
        var publisher = worker.Services.GetRequiredService<IDialRequestPublisher>();

        await publisher.PublishAsync(Request(FailingHandler.Poison), CancellationToken.None);

        var poisoned = await Eventually.ReadUntilAsync(deadLetters, read => read.Count == 1, "the poison message dead-lettered");
        var deadLetter = Assert.Single(poisoned);
        Assert.Equal(FailingHandler.Poison, deadLetter.Read<DialRequest>().RequestId);
        Assert.Equal(DeliveryLimit - 1, Assert.IsType<int>(deadLetter.Headers[QueueConsumer<DialRequest, FailingHandler>.AttemptsHeader]));

        // A message published after it is handled after anything still queued ahead of it: the poison is not among them.
        await publisher.PublishAsync(Request("canary"), CancellationToken.None);
        await handler.Handled.Task.WaitAsync(MessagingHost.Timeout);
        // Published at least once: a publish the broker confirms after its timeout also goes out from the outbox, and each copy
        // is tried as often as the limit allows, then dead-lettered; none more often.
        await Eventually.HoldsAsync(() =>
        {
            while (deadLetters.TryRead(out var copy))
            {
                poisoned.Add(copy);
            }

            return Task.FromResult(handler.Calls(FailingHandler.Poison) == DeliveryLimit * poisoned.Count);
        }, "each copy of the poison message tried as often as the delivery limit, then dead-lettered");
        Assert.All(poisoned, copy => Assert.Equal(FailingHandler.Poison, copy.Read<DialRequest>().RequestId));
        Assert.Equal(0u, await _queues.CountAsync(WorkQueueTopology.DialQueue));
        Assert.Equal(0u, await _queues.CountAsync(WorkQueueTopology.DeadLetterQueue));
    }

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
            await publisher.PublishAsync(Request($"request-{i}"), CancellationToken.None);
        }

        await Eventually.HoldsAsync(() => Task.FromResult(handler.Started == AtOnce), "the worker holding as many messages as its setting says");
        // The others wait in the queue while those are held.
        await Eventually.HoldsAsync(async () => await _queues.CountAsync(WorkQueueTopology.DialQueue) == 2, "two messages left in the queue");
        Assert.Equal(AtOnce, handler.Started);

        handler.Release.TrySetResult();
        await Eventually.HoldsAsync(() => Task.FromResult(handler.Started == AtOnce + 2), "the rest handled once those were done");
    }

    [Fact]
    public async Task A_worker_stopped_with_messages_in_hand_takes_no_more_finishes_them_and_acknowledges_each_once()
    {
        var worker = await MessagingHost.StartAsync("draining-worker", redis, rabbitmq, configure: builder =>
            builder.AddSubscription<DialRequest, HeldHandler>(WorkQueueTopology.DialQueue, prefetch: 3));
        var held = worker.Services.GetRequiredService<HeldHandler>();
        var publisher = worker.Services.GetRequiredService<IDialRequestPublisher>();
        await publisher.PublishAsync(Request("in-hand-1"), CancellationToken.None);
        await publisher.PublishAsync(Request("in-hand-2"), CancellationToken.None);
        await Eventually.HoldsAsync(() => Task.FromResult(held.Started == 2), "the worker holding both messages");

        // Stopping (as on SIGTERM): the consumer is cancelled at once, and the stop waits for the two in hand.
        var stopping = worker.DisposeAsync().AsTask();
        await Eventually.HoldsAsync(() => Task.FromResult(worker.Log.At(Microsoft.Extensions.Logging.LogLevel.Information)
            .Any(entry => entry.StartsWith("Stopping: dial-requests takes no more messages", StringComparison.Ordinal))), "the worker stopping");
        await using (var connection = await rabbitmq.ConnectAsync("late-publisher"))
        await using (var channel = await connection.CreateChannelAsync(new RabbitMQ.Client.CreateChannelOptions(true, true)))
        {
            // It has room for one more, and does not take it.
            await channel.BasicPublishAsync(WorkQueueTopology.Exchange, WorkQueueTopology.RoutingKey(nameof(DialRequest)), mandatory: true,
                new RabbitMQ.Client.BasicProperties { MessageId = "late", ContentType = "application/json" },
                System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Request("late"), new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)));
        }

        Assert.False(stopping.IsCompleted, "the worker stopped with two messages still in hand");
        held.Release.TrySetResult();
        await stopping.WaitAsync(MessagingHost.Timeout);
        Assert.Equal((2, 2), (held.Started, held.Finished));

        // Acknowledged, not handed back: the next worker gets only the late message, and what is published after it.
        await using var next = await MessagingHost.StartAsync("next-worker", redis, rabbitmq, configure: builder =>
            builder.AddSubscription<DialRequest, FailingHandler>(WorkQueueTopology.DialQueue, prefetch: 1));
        var handler = next.Services.GetRequiredService<FailingHandler>();
        await next.Services.GetRequiredService<IDialRequestPublisher>().PublishAsync(Request("canary"), CancellationToken.None);
        await Eventually.HoldsAsync(() => Task.FromResult(handler.Calls("canary") == 1), "the canary handled by the next worker");
        Assert.Equal((0, 0, 1), (handler.Calls("in-hand-1"), handler.Calls("in-hand-2"), handler.Calls("late")));
    }

    [Fact]
    public async Task A_message_still_in_hand_when_the_shutdown_timeout_runs_out_is_cancelled_and_delivered_again()
    {
        var worker = await MessagingHost.StartAsync("stuck-worker", redis, rabbitmq, configure: builder =>
        {
            builder.AddSubscription<DialRequest, HeldHandler>(WorkQueueTopology.DialQueue, prefetch: 2);
            builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(1));
        });
        var held = worker.Services.GetRequiredService<HeldHandler>();
        await worker.Services.GetRequiredService<IDialRequestPublisher>().PublishAsync(Request("stuck"), CancellationToken.None);
        await Eventually.HoldsAsync(() => Task.FromResult(held.Started == 1), "the worker holding the message");

        // Never released: the stop waits its second, then cancels the handler.
        await worker.DisposeAsync().AsTask().WaitAsync(MessagingHost.Timeout);
        await Eventually.HoldsAsync(() => Task.FromResult(worker.Log.At(Microsoft.Extensions.Logging.LogLevel.Warning)
            .Any(entry => entry.StartsWith("1 messages on dial-requests were still in hand when the shutdown timeout ran out", StringComparison.Ordinal))),
            "the message in hand reported at the shutdown timeout");
        Assert.Equal(0, held.Finished);

        await using var next = await MessagingHost.StartAsync("next-worker", redis, rabbitmq, configure: builder =>
            builder.AddSubscription<DialRequest, FailingHandler>(WorkQueueTopology.DialQueue, prefetch: 1));
        var handler = next.Services.GetRequiredService<FailingHandler>();
        await Eventually.HoldsAsync(() => Task.FromResult(handler.Calls("stuck") == 1), "the message delivered again to the next worker");
    }

    /// <summary>Holds every message until released.</summary>
    public sealed class HeldHandler : IMessageHandler<DialRequest>
    {
        private int _started;

        public int Started => Volatile.Read(ref _started);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private int _finished;

        public int Finished => Volatile.Read(ref _finished);

        public async Task<bool> HandleAsync(DialRequest message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _started);
            await Release.Task.WaitAsync(cancellationToken);
            Interlocked.Increment(ref _finished);
            return true;
        }
    }

    private static DialRequest Request(string requestId) =>
        new(requestId, "session-1", "o1", "alice", AgentRole.Owner, DateTimeOffset.UnixEpoch);

    /// <summary>Fails every time on the poison message, as a handler does on a message it cannot deal with; takes any other.</summary>
    public sealed class FailingHandler : IMessageHandler<DialRequest>
    {
        public const string Poison = "poison";

        private readonly ConcurrentDictionary<string, int> _calls = new();

        public TaskCompletionSource Handled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls(string requestId) => _calls.GetValueOrDefault(requestId);

        public Task<bool> HandleAsync(DialRequest message, CancellationToken cancellationToken)
        {
            _calls.AddOrUpdate(message.RequestId, 1, (_, calls) => calls + 1);
            if (message.RequestId == Poison)
            {
                throw new InvalidOperationException("This message always fails.");
            }

            Handled.TrySetResult();
            return Task.FromResult(true);
        }
    }
}
