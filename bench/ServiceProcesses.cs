using System.Globalization;

namespace WarmTransfer.Benchmarks;

/// <param name="PeakMiB">The largest peak resident set (VmHWM) among the service's processes.</param>
/// <param name="CpuSeconds">Processor time all its processes used (user and system), since they started or over a span.</param>
/// <param name="Processes">How many processes the service runs (replicas; RabbitMQ's helpers).</param>
public sealed record ServiceUsage(string Service, double PeakMiB, double CpuSeconds, int Processes)
{
    /// <summary>Whether the process is part of the support line: every service but Twilio's stand-in, and not the bench.</summary>
    public static bool IsSupportLine(string service) => service is not ("bench" or "twilio-emulator");

    /// <summary>Peak memory as of <paramref name="after"/>, processor time used between the two readings.</summary>
    public static IReadOnlyList<ServiceUsage> Between(IReadOnlyList<ServiceUsage> before, IReadOnlyList<ServiceUsage> after) =>
        [.. after.Select(a => a with
        {
            CpuSeconds = Math.Round(a.CpuSeconds - (before.FirstOrDefault(b => b.Service == a.Service)?.CpuSeconds ?? 0), 2),
        })];
}

/// <summary>The processes of one run, found by the marker in their environment (children inherit it).</summary>
public static class ServiceProcesses
{
    // Linux reports processor time in clock ticks of 1/100 s.
    private const double TicksPerSecond = 100;

    public static IReadOnlyList<ServiceUsage> Usage(RunMarker marker, string dataDirectory)
    {
        var found = new List<(string Resource, long PeakKiB, long CpuTicks)>();
        foreach (var (directory, resource, commandLine) in RunProcesses(marker, dataDirectory))
        {
            if (IsLauncher(commandLine))
            {
                continue;
            }

            try
            {
                var peak = File.ReadLines(Path.Combine(directory, "status")).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                // After the command name in parentheses: state is field 3, utime and stime fields 14 and 15.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                if (peak is not null)
                {
                    found.Add((resource, long.Parse(peak["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture), ticks));
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return [.. found.GroupBy(p => p.Resource).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ServiceUsage(g.Key, Math.Round(g.Max(p => p.PeakKiB) / 1024.0, 1), Math.Round(g.Sum(p => p.CpuTicks) / TicksPerSecond, 2), g.Count()))];
    }

    /// <summary>Whether any process of the run (launchers included) is still alive.</summary>
    public static bool AnyAlive(RunMarker marker, string dataDirectory) =>
        RunProcesses(marker, dataDirectory).Any();

    /// <summary>
    /// The run's processes with the resource each belongs to: from the marker and resource name in its environment, or —
    /// for Redis, which writes its process title over its environment — from its working directory, the resource's folder
    /// in the run's data directory.
    /// </summary>
    private static IEnumerable<(string Directory, string Resource, string CommandLine)> RunProcesses(RunMarker marker, string dataDirectory)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out _))
            {
                continue;
            }

            string? resource;
            string commandLine;
            try
            {
                var environment = File.ReadAllText(Path.Combine(directory, "environ")).Split('\0');
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline"));
                var workingDirectory = ReadLink(Path.Combine(directory, "cwd"));
                const string resourceVariable = AppHostLauncher.ResourceVariable;
                resource = environment.Contains(marker.ToString())
                    ? environment.FirstOrDefault(v => v.StartsWith(resourceVariable + "=", StringComparison.Ordinal))?[(resourceVariable.Length + 1)..]
                    : workingDirectory.StartsWith(dataDirectory + "/", StringComparison.Ordinal)
                        ? workingDirectory[(dataDirectory.Length + 1)..].Split('/')[0]
                        : null;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
                continue;
            }

            if (resource is not null)
            {
                yield return (directory, resource, commandLine);
            }
        }
    }

    private static string ReadLink(string path) => new FileInfo(path).LinkTarget ?? string.Empty;

    /// <summary>
    /// <c>dotnet run</c> and <c>dotnet build</c>: they start a service, they are not it (<c>dotnet exec</c> runs the service in
    /// its own process, and is it).
    /// </summary>
    private static bool IsLauncher(string commandLine)
    {
        var arguments = commandLine.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        return arguments.Length > 1 && Path.GetFileName(arguments[0]) == "dotnet" && arguments[1] is "run" or "build";
    }
}
