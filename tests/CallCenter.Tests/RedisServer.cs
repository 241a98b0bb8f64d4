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
        _process = Process.Start(new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server did not start (eng/prerequisites.sh installs it).");

        // redis-server says when it accepts connections; only then is it connected to.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await _process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
        {
            if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                Connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true");
                return;
            }
        }

        throw new InvalidOperationException("redis-server exited before it accepted connections.");
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
