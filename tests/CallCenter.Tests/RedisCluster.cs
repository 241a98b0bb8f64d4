using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>
/// A real Redis Cluster of the tests' own: three <c>redis-server</c> primaries on free ports, joined by
/// <c>redis-cli --cluster create</c>, nothing kept on disk but each node's cluster file.
/// </summary>
public sealed class RedisCluster : IAsyncLifetime
{
    private const int Primaries = 3;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "warmtransfer-redis-cluster", Guid.NewGuid().ToString("N")[..12]);
    private readonly List<Process> _processes = [];

    /// <summary>Connected to every node (admin commands allowed).</summary>
    public ConnectionMultiplexer Connection { get; private set; } = null!;

    public string ConfigurationString { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var ports = FreePorts(Primaries);
        foreach (var port in ports)
        {
            _processes.Add(await StartNodeAsync(port));
        }

        var nodes = ports.Select(port => $"127.0.0.1:{port}").ToList();
        var create = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--cluster", "create" }.Concat(nodes).Append("--cluster-yes"))
        {
            create.ArgumentList.Add(argument);
        }

        using (var created = Process.Start(create) ?? throw new InvalidOperationException("redis-cli did not start (eng/prerequisites.sh installs it)."))
        {
            var output = await created.StandardOutput.ReadToEndAsync();
            await created.WaitForExitAsync();
            if (created.ExitCode != 0)
            {
                throw new InvalidOperationException($"redis-cli --cluster create failed: {output}{await created.StandardError.ReadToEndAsync()}");
            }
        }

        ConfigurationString = $"{string.Join(',', nodes)},allowAdmin=true";
        Connection = await ConnectionMultiplexer.ConnectAsync(ConfigurationString);
        await WaitUntilEveryNodeSaysOkAsync();
    }

    /// <summary>The node that serves <paramref name="key"/>.</summary>
    public IServer NodeOf(RedisKey key)
    {
        var slot = Connection.HashSlot(key);
        return Connection.GetServers().Single(server => server.ClusterConfiguration!.GetBySlot(slot)!.EndPoint!.Equals(server.EndPoint));
    }

    public async Task DisposeAsync()
    {
        if (Connection is not null)
        {
            await Connection.DisposeAsync();
        }

        foreach (var process in _processes)
        {
            process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    private Task<Process> StartNodeAsync(int port)
    {
        var text = port.ToString(CultureInfo.InvariantCulture);
        return RedisServer.StartAsync(
        [
            "--port", text, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(_directory, $"nodes-{text}.conf"), "--dir", _directory,
        ]);
    }

    /// <summary>Every node has every slot assigned and agrees the cluster is up; then the client learns that slot map.</summary>
    private async Task WaitUntilEveryNodeSaysOkAsync()
    {
        await Eventually.HoldsAsync(async () =>
        {
            var states = await Task.WhenAll(Connection.GetServers().Select(async server => (string)(await server.ExecuteAsync("CLUSTER", "INFO"))!));
            return states.All(info => info.Contains("cluster_state:ok", StringComparison.Ordinal));
        }, "every node of the cluster says it is up");
        await Connection.ConfigureAsync();
    }

    /// <summary>Ports free now whose cluster bus port (the port + 10000) is free too.</summary>
    private static List<int> FreePorts(int count)
    {
        var ports = new List<int>();
        while (ports.Count < count)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (port + 10000 <= IPEndPoint.MaxPort && !ports.Contains(port) && IsFree(port + 10000))
            {
                ports.Add(port);
            }
        }

        return ports;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
