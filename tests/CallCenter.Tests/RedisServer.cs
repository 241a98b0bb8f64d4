using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>A real <c>redis-server</c> of the tests' own, on a free port, with nothing kept on disk.</summary>
public sealed class RedisServer : IAsyncLifetime
{
    private Process? _process;

    public IConnectionMultiplexer Connection { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var port = FreePort();
        _process = await StartAsync(["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        Connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true");
    }

    /// <summary>A <c>redis-server</c> with these arguments, once it says it accepts connections.</summary>
    internal static async Task<Process> StartAsync(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (eng/prerequisites.sh installs it).");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
        {
            if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                // Its output is no longer read: it must not fill the pipe and stall the server.
                _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                return process;
            }
        }

        throw new InvalidOperationException($"redis-server {string.Join(' ', start.ArgumentList)} exited before it accepted connections.");
    }

    public async Task DisposeAsync()
    {
        if (Connection is not null)
        {
            await Connection.DisposeAsync();
        }

        _process?.Kill();
        _process?.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
