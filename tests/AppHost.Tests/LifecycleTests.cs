using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace WarmTransfer.AppHost.Tests;

/// <summary>Starting and stopping the whole app, the way a developer does all day.</summary>
public sealed class LifecycleTests
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Starting_and_stopping_twice_leaves_no_process_or_port_behind_and_redis_keeps_its_data()
    {
        var dataDirectory = TestRun.NewDataDirectory();
        var key = $"tests:{Guid.NewGuid():N}";
        try
        {
            await RunOnceAsync(dataDirectory, async app =>
            {
                await using var redis = await ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync("redis"))!);
                await redis.GetDatabase().StringSetAsync(key, "kept across restarts");
            });

            await RunOnceAsync(dataDirectory, async app =>
            {
                await using var redis = await ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync("redis"))!);
                Assert.Equal("kept across restarts", (string?)await redis.GetDatabase().StringGetAsync(key));
            });
        }
        finally
        {
            AppHostLauncher.DeleteDataDirectory(dataDirectory);
        }
    }

    private static async Task RunOnceAsync(string dataDirectory, Func<DistributedApplication, Task> whileRunning)
    {
        var runMarker = RunMarker.New(TestRun.MarkerVariable);
        using var timeout = new CancellationTokenSource(AppHostLauncher.StartTimeout);
        var builder = await AppHostLauncher.CreateBuilderAsync(dataDirectory, runMarker, timeout.Token);
        List<int> ports;
        await using (var app = await AppHostLauncher.StartHealthyAsync(builder, timeout.Token))
        {
            Assert.NotEmpty(ProcessesOf(runMarker));
            ports = AppHostLauncher.RunnableResources(app)
                .SelectMany(resource => resource.Annotations.OfType<EndpointAnnotation>())
                .Select(endpoint => endpoint.AllocatedEndpoint?.Port)
                .OfType<int>()
                .ToList();
            Assert.NotEmpty(ports);

            await whileRunning(app);
        }

        await Eventually.HoldsAsync(() => ProcessesOf(runMarker) is { Count: > 0 } left
            ? $"processes still running: {string.Join(", ", left)}"
            : null, StopTimeout);
        await Eventually.HoldsAsync(() => ports.Where(InUse).ToList() is { Count: > 0 } busy
            ? $"ports still in use: {string.Join(", ", busy)}"
            : null, StopTimeout);
    }

    private static List<string> ProcessesOf(RunMarker runMarker) =>
        [.. AppHostLauncher.ProcessesOf(runMarker).Select(process => $"{process.Pid} {process.CommandLine}")];

    private static bool InUse(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
        finally
        {
            listener.Stop();
        }
    }
}
