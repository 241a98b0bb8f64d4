using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using WarmTransfer.CallCenter.Messaging;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>
/// A service's messaging as the services compose it (<c>AddCallCenterInfrastructure</c>: topology, confirmed publisher, outbox
/// relay, and any subscriptions), against the tests' real Redis and RabbitMQ, with its log kept for assertions.
/// </summary>
public sealed class MessagingHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly IHost _host;

    private MessagingHost(IHost host, LogCollector log)
    {
        _host = host;
        Log = log;
    }

    /// <summary>The name its RabbitMQ connection shows on the broker.</summary>
    public string Name => _host.Services.GetRequiredService<IHostEnvironment>().ApplicationName;

    public IServiceProvider Services => _host.Services;

    public LogCollector Log { get; }

    public static async Task<MessagingHost> StartAsync(string name, RedisServer redis, RabbitMQServer rabbitmq,
        IReadOnlyDictionary<string, string?>? settings = null, Action<IHostApplicationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = name,
            EnvironmentName = Environments.Development,
            DisableDefaults = true,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ConnectionNames.Redis}"] = redis.Connection.Configuration,
            [$"ConnectionStrings:{ConnectionNames.RabbitMQ}"] = rabbitmq.ConnectionString,
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        var log = new LogCollector();
        builder.Logging.AddProvider(log);
        builder.AddCallCenterInfrastructure();
        configure?.Invoke(builder);

        var host = builder.Build();
        await host.StartAsync();
        return new MessagingHost(host, log);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>The tests' own view of the queues: empties them, and reads what arrives on one.</summary>
public sealed class QueueProbe(IConnection connection) : IAsyncDisposable
{
    private readonly List<IChannel> _channels = [];

    public static async Task<QueueProbe> ConnectAsync(RabbitMQServer rabbitmq) => new(await rabbitmq.ConnectAsync("tests"));

    /// <summary>Empties the work and dead-letter queues (declared as the services declare them).</summary>
    public async Task PurgeAsync()
    {
        await using var channel = await connection.CreateChannelAsync();
        await WorkQueueTopology.DeclareAsync(channel, CancellationToken.None);
        foreach (var queue in new[] { WorkQueueTopology.DialQueue, WorkQueueTopology.CommandQueue, WorkQueueTopology.DeadLetterQueue })
        {
            await channel.QueuePurgeAsync(queue);
        }
    }

    /// <summary>The messages ready in <paramref name="queue"/>.</summary>
    public async Task<uint> CountAsync(string queue)
    {
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }

    /// <summary>Takes (and acknowledges) everything that arrives on <paramref name="queue"/> from now on.</summary>
    public async Task<ChannelReader<ReceivedMessage>> ReadAsync(string queue)
    {
        var channel = await connection.CreateChannelAsync();
        _channels.Add(channel);
        var received = System.Threading.Channels.Channel.CreateUnbounded<ReceivedMessage>();
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            received.Writer.TryWrite(new ReceivedMessage(delivery.BasicProperties.MessageId, Encoding.UTF8.GetString(delivery.Body.Span),
                delivery.BasicProperties.Headers?.ToDictionary() ?? []));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: true, consumer);
        return received.Reader;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            await channel.DisposeAsync();
        }

        await connection.DisposeAsync();
    }
}

public sealed record ReceivedMessage(string? MessageId, string Body, Dictionary<string, object?> Headers)
{
    public T Read<T>() => JsonSerializer.Deserialize<T>(Body, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
}

/// <summary>What the host logged.</summary>
public sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

    public IEnumerable<string> At(LogLevel level) => _entries.Where(entry => entry.Level == level).Select(entry => entry.Message);

    public ILogger CreateLogger(string categoryName) => new Logger(_entries);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<(LogLevel, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                entries.Enqueue((logLevel, formatter(state, exception)));
            }
        }
    }
}

public static class Eventually
{
    /// <summary>Waits until <paramref name="condition"/> holds, checking every <paramref name="interval"/>; fails after <see cref="MessagingHost.Timeout"/>.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? interval = null)
    {
        using var deadline = new CancellationTokenSource(MessagingHost.Timeout);
        while (!await condition())
        {
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail($"Not within {MessagingHost.Timeout}: {what}");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(100), CancellationToken.None);
        }
    }

    /// <summary>Reads from <paramref name="reader"/> until <paramref name="enough"/> holds for what was read; fails after <see cref="MessagingHost.Timeout"/>.</summary>
    public static async Task<List<T>> ReadUntilAsync<T>(ChannelReader<T> reader, Func<List<T>, bool> enough, string what)
    {
        var read = new List<T>();
        using var deadline = new CancellationTokenSource(MessagingHost.Timeout);
        try
        {
            while (!enough(read))
            {
                read.Add(await reader.ReadAsync(deadline.Token));
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Assert.Fail($"Not within {MessagingHost.Timeout}: {what} ({read.Count} read)");
        }

        return read;
    }
}
