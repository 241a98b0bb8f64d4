using System.ComponentModel;
using System.Diagnostics;

namespace WarmTransfer.AppHost.Infrastructure;

/// <summary>
/// How Redis and RabbitMQ run on this machine: local executables when <see cref="LocalServers"/> is set, containers otherwise;
/// Redis and RabbitMQ each as one server or, locally, as a cluster.
/// </summary>
public sealed record InfrastructurePlan(LocalServers? LocalServers, string DataDirectory,
    RedisTopology Redis = RedisTopology.Single, RabbitMQTopology RabbitMQ = RabbitMQTopology.Single);

/// <summary>Full paths of the local server programs.</summary>
public sealed record LocalServers(string RedisServer, string RedisCli, string RabbitMQServer, string Epmd);

/// <summary>Decides, once at start, how Redis and RabbitMQ run on this machine.</summary>
public static class InfrastructureSelector
{
    private static readonly TimeSpan ContainerRuntimeTimeout = TimeSpan.FromSeconds(10);

    public static InfrastructurePlan Select(InfrastructureOptions options, string repositoryRoot, DistributedApplicationExecutionContext execution)
    {
        var dataDirectory = Path.GetFullPath(options.DataDirectory, repositoryRoot);

        // A published manifest is deployed elsewhere: it names the official images, never this machine's executables.
        if (execution.IsPublishMode)
        {
            return new InfrastructurePlan(null, dataDirectory);
        }

        // A local cluster is local servers, whatever else answers.
        var clusters = new List<string>();
        if (options.Redis == RedisTopology.Cluster) clusters.Add("Infrastructure:Redis is 'cluster'");
        if (options.RabbitMQ == RabbitMQTopology.Cluster) clusters.Add("Infrastructure:RabbitMQ is 'cluster'");
        var mode = clusters.Count > 0 ? InfrastructureMode.Local : options.Mode;
        switch (mode)
        {
            case InfrastructureMode.Containers:
                return new InfrastructurePlan(null, dataDirectory);
            case InfrastructureMode.Local:
                return new InfrastructurePlan(FindLocalServers(options, out var missing)
                    ?? throw new InfrastructureUnavailableException(
                        $"{(clusters.Count > 0 ? string.Join(" and ", clusters) : "Infrastructure:Mode is 'local'")} " +
                        $"but {string.Join(" and ", missing)} could not be found. {InstallHint}"),
                    dataDirectory, options.Redis, options.RabbitMQ);
        }

        if (ContainerRuntimeAnswers(options.ContainerRuntime))
        {
            return new InfrastructurePlan(null, dataDirectory);
        }

        var servers = FindLocalServers(options, out var notFound)
            ?? throw new InfrastructureUnavailableException(
                $"Redis and RabbitMQ cannot be started: no container runtime answered '{options.ContainerRuntime} info', " +
                $"and {string.Join(" and ", notFound)} could not be found. {InstallHint}");
        return new InfrastructurePlan(servers, dataDirectory);
    }

    private const string InstallHint =
        "Install the servers with 'apt-get install redis-server rabbitmq-server' (or run ./run.sh, which does it), " +
        "or start Docker or Podman.";

    private static LocalServers? FindLocalServers(InfrastructureOptions options, out List<string> missing)
    {
        missing = [];
        var redis = FindExecutable(options.RedisServer);
        var redisCli = FindExecutable(options.RedisCli);
        var rabbit = FindExecutable(options.RabbitMQServer);
        var epmd = FindExecutable(options.Epmd);
        if (redis is null) missing.Add($"'{options.RedisServer}' (package redis-server)");
        if (redisCli is null) missing.Add($"'{options.RedisCli}' (package redis-tools)");
        if (rabbit is null) missing.Add($"'{options.RabbitMQServer}' (package rabbitmq-server)");
        if (epmd is null) missing.Add($"'{options.Epmd}' (package erlang-base)");
        return redis is null || redisCli is null || rabbit is null || epmd is null ? null : new LocalServers(redis, redisCli, rabbit, epmd);
    }

    private static string? FindExecutable(string command)
    {
        if (Path.IsPathRooted(command))
        {
            return File.Exists(command) ? command : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, command))
            .FirstOrDefault(File.Exists);
    }

    private static bool ContainerRuntimeAnswers(string runtime)
    {
        var startInfo = new ProcessStartInfo(runtime, ["info", "--format", "{{.ServerVersion}}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        try
        {
            using var process = Process.Start(startInfo);
            if (process is null)
            {
                return false;
            }

            if (!process.WaitForExit(ContainerRuntimeTimeout))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (Win32Exception)
        {
            // The runtime's CLI is not installed.
            return false;
        }
    }
}
