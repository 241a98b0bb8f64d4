using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>Publishing when the broker does not take messages: nothing is lost, no channel is left open, nothing blocks the outbox.</summary>
[Collection(RabbitMQCollection.Name)]
public sealed class PublishingTests(RabbitMQServer rabbitmq, RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private QueueProbe _queues = null!;

    private IDatabase Redis => redis.Connection.GetDatabase();

    public async Task InitializeAsync()
    {
        await redis.Connection.GetServers()[0].FlushAllDatabasesAsync();
        _queues = await QueueProbe.ConnectAsync(rabbitmq);
        await _queues.PurgeAsync();
    }

    public async Task DisposeAsync() => await _queues.DisposeAsync();

    [Fact]
    public async Task A_memory_alarm_during_50_publishes_leaks_no_channel_and_loses_no_dial_request()
    {
        await using var service = await MessagingHost.StartAsync("alarm-publisher", redis, rabbitmq);
        var publisher = service.Services.GetRequiredService<IDialRequestPublisher>();
        var dialQueue = await _queues.ReadAsync(WorkQueueTopology.DialQueue);
        var requests = Enumerable.Range(1, 50).Select(Request).ToList();

        await rabbitmq.RaiseMemoryAlarmAsync();
        try
        {
            await Task.WhenAll(requests.Select(request => publisher.PublishAsync(request, CancellationToken.None)));
            Assert.Equal(requests.Count, await Redis.ListLengthAsync(RedisKeys.Outbox));
        }
        finally
        {
            await rabbitmq.ClearMemoryAlarmAsync();
        }

        var delivered = await Eventually.ReadUntilAsync(dialQueue,
            read => read.Select(message => message.MessageId).Distinct().Count() == requests.Count, "every dial request in the dial queue");
        Assert.Equal(requests.Select(request => request.RequestId).Order(), delivered.Select(message => message.MessageId!).Distinct().Order());
        Assert.All(delivered, message => Assert.Equal(message.MessageId, message.Read<DialRequest>().RequestId));
        await Eventually.HoldsAsync(async () => await Redis.ListLengthAsync(RedisKeys.Outbox) == 0, "the outbox emptied");
        await Eventually.HoldsAsync(async () => await rabbitmq.OpenChannelsAsync(service.Name) <= ConfirmedPublisher.PoolSize,
            "the publisher's channels back within its pool", TimeSpan.FromSeconds(1));
        Assert.Equal(0, await Redis.ListLengthAsync(RedisKeys.OutboxSetAside));
    }

    [Fact]
    public async Task A_publish_the_broker_refuses_is_kept_until_the_outbox_is_full_then_refused_with_an_alert()
    {
        await using var service = await MessagingHost.StartAsync("full-outbox-publisher", redis, rabbitmq,
            new Dictionary<string, string?> { ["Messaging:OutboxLimit"] = "3" });
        var publisher = service.Services.GetRequiredService<IDialRequestPublisher>();
        await RefuseDialRequestsAsync("dial-queue-full");
        try
        {
            foreach (var request in Enumerable.Range(1, 3).Select(Request))
            {
                await publisher.PublishAsync(request, CancellationToken.None);
            }

            await Assert.ThrowsAsync<OutboxFullException>(() => publisher.PublishAsync(Request(4), CancellationToken.None));
            await Assert.ThrowsAsync<OutboxFullException>(() => publisher.PublishAsync(Request(5), CancellationToken.None));
            Assert.Equal(3, await Redis.ListLengthAsync(RedisKeys.Outbox));
            Assert.Single(service.Log.At(LogLevel.Critical), alert => alert.Contains("outbox is full", StringComparison.Ordinal));
        }
        finally
        {
            await AcceptDialRequestsAsync("dial-queue-full");
        }

        var dialQueue = await _queues.ReadAsync(WorkQueueTopology.DialQueue);
        var delivered = Kept(await Eventually.ReadUntilAsync(dialQueue, read => Kept(read).Count == 3, "the kept dial requests in the dial queue"));
        Assert.Equal(["request-1", "request-2", "request-3"], delivered.Select(message => message.MessageId!).Order());
        await rabbitmq.ControlAsync("clear_policy", "dial-queue-full");
    }

    [Fact]
    public async Task Many_publishes_the_broker_refuses_at_once_are_all_kept_in_an_outbox_with_room_for_them()
    {
        await using var service = await MessagingHost.StartAsync("burst-outbox-publisher", redis, rabbitmq);
        var publisher = service.Services.GetRequiredService<IDialRequestPublisher>();
        await RefuseDialRequestsAsync("dial-queue-burst");
        try
        {
            // As a burst of webhooks does while the broker refuses and the relay drains what it can (here, something written to
            // the outbox and taken off it again, over and over): none may be turned away while the outbox has room.
            using var published = new CancellationTokenSource();
            var draining = Task.Run(async () =>
            {
                while (!published.IsCancellationRequested)
                {
                    await Redis.ListRightPushAsync(RedisKeys.Outbox, "in passing");
                    await Redis.ListRemoveAsync(RedisKeys.Outbox, "in passing");
                }
            });
            try
            {
                await Task.WhenAll(Enumerable.Range(1, 40).Select(i => publisher.PublishAsync(Request(i), CancellationToken.None)));
            }
            finally
            {
                await published.CancelAsync();
                await draining;
            }

            Assert.Equal(40, await Redis.ListLengthAsync(RedisKeys.Outbox));
        }
        finally
        {
            await AcceptDialRequestsAsync("dial-queue-burst");
        }

        var dialQueue = await _queues.ReadAsync(WorkQueueTopology.DialQueue);
        var delivered = Kept(await Eventually.ReadUntilAsync(dialQueue, read => Kept(read).Count == 40, "the kept dial requests in the dial queue"));
        Assert.Equal(40, delivered.Select(message => message.MessageId).Distinct().Count());
        await rabbitmq.ControlAsync("clear_policy", "dial-queue-burst");
    }

    [Fact]
    public async Task A_dial_request_carries_the_trace_it_was_published_in_though_no_publish_span_is_recorded()
    {
        // No telemetry listens here, as in a service that exports none: RabbitMQ.Client records no publish span.
        await using var service = await MessagingHost.StartAsync("traced-publisher", redis, rabbitmq);
        var publisher = service.Services.GetRequiredService<IDialRequestPublisher>();
        var dialQueue = await _queues.ReadAsync(WorkQueueTopology.DialQueue);

        using var webhook = new System.Diagnostics.Activity("incoming webhook").Start();
        await publisher.PublishAsync(Request(1), CancellationToken.None);

        var delivered = Assert.Single(await Eventually.ReadUntilAsync(dialQueue, read => read.Count == 1, "the dial request in the dial queue"));
        var traceParent = Assert.IsType<byte[]>(delivered.Headers["traceparent"]);
        Assert.Equal($"00-{webhook.TraceId}-{webhook.SpanId}-00", System.Text.Encoding.UTF8.GetString(traceParent));
    }

    [Fact]
    public async Task Outbox_entries_that_cannot_be_sent_are_set_aside_and_the_ones_behind_them_are_delivered()
    {
        var unreadable = "{not json";
        var unsendable = Entry(Request(0) with { RequestId = new string('x', 300) });
        var good = Enumerable.Range(1, 3).Select(Request).ToList();
        await Redis.ListRightPushAsync(RedisKeys.Outbox, [unreadable, unsendable, .. good.Select(Entry)]);
        var dialQueue = await _queues.ReadAsync(WorkQueueTopology.DialQueue);

        await using var service = await MessagingHost.StartAsync("outbox-relay", redis, rabbitmq,
            new Dictionary<string, string?> { ["Messaging:DeliveryLimit"] = "2" });

        var delivered = await Eventually.ReadUntilAsync(dialQueue, read => read.Count == good.Count, "the good entries in the dial queue");
        Assert.Equal(good.Select(request => request.RequestId), delivered.Select(message => message.MessageId!).Order());
        await Eventually.HoldsAsync(async () => await Redis.ListLengthAsync(RedisKeys.Outbox) == 0, "the outbox emptied");
        Assert.Equal([unreadable, unsendable], await Redis.ListRangeAsync(RedisKeys.OutboxSetAside));
        Assert.Equal(2, service.Log.At(LogLevel.Error).Count(error => error.Contains("set aside", StringComparison.Ordinal)));
    }

    private const string Filler = "filler";

    /// <summary>
    /// Makes the dial queue refuse (nack) every publish until <paramref name="policy"/> is cleared. A quorum queue refuses once it
    /// holds more than its length, so its length is set to 0 and it is given a message (read nowhere meanwhile) until it refuses.
    /// </summary>
    private async Task RefuseDialRequestsAsync(string policy)
    {
        await rabbitmq.ControlAsync("set_policy", "--apply-to", "queues", policy, $"^{WorkQueueTopology.DialQueue}$",
            """{"max-length":0,"overflow":"reject-publish"}""");
        await using var connection = await rabbitmq.ConnectAsync("queue-filler");
        await using var channel = await connection.CreateChannelAsync(new RabbitMQ.Client.CreateChannelOptions(true, true));
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                await channel.BasicPublishAsync(WorkQueueTopology.Exchange, WorkQueueTopology.RoutingKey(nameof(DialRequest)), mandatory: true,
                    new RabbitMQ.Client.BasicProperties { MessageId = Filler }, "{}"u8.ToArray());
                return false;
            }
            catch (RabbitMQ.Client.Exceptions.PublishException)
            {
                return true;
            }
        }, "the dial queue refuses publishes");
    }

    /// <summary>
    /// Lets the dial queue take publishes again: a length it is under (RabbitMQ 3.10's quorum queue lets the publishers it refused
    /// go again only while it has a length, once a message leaves it).
    /// </summary>
    private Task AcceptDialRequestsAsync(string policy) =>
        rabbitmq.ControlAsync("set_policy", "--apply-to", "queues", policy, $"^{WorkQueueTopology.DialQueue}$",
            """{"max-length":100000,"overflow":"reject-publish"}""");

    private static List<ReceivedMessage> Kept(List<ReceivedMessage> read) => [.. read.Where(message => message.MessageId != Filler)];

    private static DialRequest Request(int number) =>
        new($"request-{number}", $"session-{number}", "o1", "alice", AgentRole.Owner, DateTimeOffset.UnixEpoch);

    private static RedisValue Entry(DialRequest request) =>
        JsonSerializer.Serialize(new OutboxMessage(nameof(DialRequest), request.RequestId, JsonSerializer.Serialize(request, Json)), Json);
}
