using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using RabbitMQ.Client;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>
/// A real RabbitMQ node of the tests' own: RabbitMQ's server script run directly, with its own node name, ports, epmd and data
/// folder (deleted at the end), so nothing of the machine's RabbitMQ is used or left behind.
/// </summary>
public sealed class RabbitMQServer : IAsyncLifetime
{
    private const string ServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    private const string ControlScript = "/usr/lib/rabbitmq/bin/rabbitmqctl";
    private const string UserName = "warmtransfer-tests";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly string _password = Guid.NewGuid().ToString("N");
    private readonly string _nodeName = $"wt-tests-{Environment.ProcessId}@localhost";
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DirectoryInfo _folder = null!;
    private Dictionary<string, string> _environment = null!;
    private Process? _epmd;
    private Process? _server;

    /// <summary>The AMQP address, with the tests' administrator.</summary>
    public string ConnectionString { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _folder = Directory.CreateTempSubdirectory("wt-rabbitmq-");
        var home = _folder.CreateSubdirectory("home").FullName;
        var epmdPort = FreePort();
        var amqpPort = FreePort();
        File.WriteAllText(Path.Combine(_folder.FullName, "enabled_plugins"), "[].");
        File.WriteAllText(Path.Combine(_folder.FullName, "rabbitmq.conf"), "");
        _environment = new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["RABBITMQ_NODENAME"] = _nodeName,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = Invariant(amqpPort),
            ["RABBITMQ_DIST_PORT"] = Invariant(FreePort()),
            ["ERL_EPMD_PORT"] = Invariant(epmdPort),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(_folder.FullName, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(_folder.FullName, "log"),
            ["RABBITMQ_LOGS"] = "-",
            ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(_folder.FullName, "rabbitmq-env.conf"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(_folder.FullName, "rabbitmq"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_folder.FullName, "enabled_plugins"),
            ["RABBITMQ_DEFAULT_USER"] = UserName,
            ["RABBITMQ_DEFAULT_PASS"] = _password,
        };
        ConnectionString = $"amqp://{UserName}:{_password}@127.0.0.1:{Invariant(amqpPort)}";

        // An epmd of this node's own, in the foreground: stopping it leaves no Erlang daemon behind.
        _epmd = Start("epmd", ["-port", Invariant(epmdPort), "-address", "127.0.0.1"]);
        _server = Start(ServerScript, []);
        _server.OutputDataReceived += (_, line) => Remember(line.Data);
        _server.ErrorDataReceived += (_, line) => Remember(line.Data);
        _server.EnableRaisingEvents = true;
        _server.Exited += (_, _) => _started.TrySetException(new InvalidOperationException(
            $"rabbitmq-server exited before it started:\n{string.Join('\n', _output)}"));
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        try
        {
            await _started.Task.WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"rabbitmq-server did not start in {StartTimeout}:\n{string.Join('\n', _output)}");
        }
    }

    /// <summary>A connection of the tests' own (for declaring, purging and reading queues), recovering like the services' one.</summary>
    public Task<IConnection> ConnectAsync(string name) =>
        new ConnectionFactory { Uri = new Uri(ConnectionString), ClientProvidedName = name }.CreateConnectionAsync();

    /// <summary>Runs <c>rabbitmqctl</c> against this node and returns what it printed; throws when it fails.</summary>
    public async Task<string> ControlAsync(params string[] arguments)
    {
        using var control = Start(ControlScript, ["-n", _nodeName, "-q", .. arguments]);
        var output = control.StandardOutput.ReadToEndAsync();
        var error = control.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await control.WaitForExitAsync(deadline.Token);
        if (control.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} failed ({control.ExitCode}): {await error}");
        }

        return await output;
    }

    /// <summary>Raises the memory alarm: the node blocks every connection that publishes, as when it runs out of memory.</summary>
    public Task RaiseMemoryAlarmAsync() => ControlAsync("eval", "rabbit_alarm:set_alarm({{resource_limit, memory, node()}, []}).");

    public Task ClearMemoryAlarmAsync() => ControlAsync("eval", "rabbit_alarm:clear_alarm({resource_limit, memory, node()}).");

    /// <summary>The channels the broker has open on the connections the client named <paramref name="connectionName"/>.</summary>
    public async Task<int> OpenChannelsAsync(string connectionName)
    {
        var table = await ControlAsync("list_connections", "--no-table-headers", "channels", "client_properties");
        var rows = table.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(row => row.Split('\t', 2))
            .Where(columns => columns.Length == 2
                && columns[1].Contains($"{{\"connection_name\",\"{connectionName}\"}}", StringComparison.Ordinal))
            .ToList();
        return rows.Count > 0
            ? rows.Sum(columns => int.Parse(columns[0], CultureInfo.InvariantCulture))
            : throw new InvalidOperationException($"No connection named {connectionName} on the broker:\n{table}");
    }

    public async Task DisposeAsync()
    {
        foreach (var process in new[] { _server, _epmd })
        {
            if (process is null)
            {
                continue;
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        _folder?.Delete(recursive: true);
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200 && _output.TryDequeue(out _))
        {
        }

        if (line.Contains("Server startup complete", StringComparison.Ordinal))
        {
            _started.TrySetResult();
        }
    }

    private Process Start(string command, string[] arguments)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"{command} did not start (eng/prerequisites.sh installs it).");
    }

    private static string Invariant(int number) => number.ToString(CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The tests that use the RabbitMQ node: one node for all of them, and one test at a time (they share its queues and alarms).</summary>
[CollectionDefinition(Name)]
public sealed class RabbitMQCollection : ICollectionFixture<RabbitMQServer>
{
    public const string Name = "RabbitMQ";
}
