namespace WarmTransfer.Benchmarks;

/// <param name="PeakMiB">The largest peak resident set (VmHWM) among the service's processes.</param>
/// <param name="Processes">How many processes the service runs (replicas; RabbitMQ's helpers).</param>
public sealed record ServiceMemory(string Service, double PeakMiB, int Processes);

/// <summary>The processes of one run, found by the marker in their environment (children inherit it).</summary>
public static class ServiceProcesses
{
    /// <param name="byDirectory">
    /// Services found by their program and working directory instead: Redis writes its process title over its environment.
    /// </param>
    public static IReadOnlyList<ServiceMemory> PeakMemory(
        string markerVariable, string marker, string resourceVariable, IReadOnlyList<(string Resource, string Program, string Directory)> byDirectory)
    {
        var found = new List<(string Resource, long PeakKiB)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out _))
            {
                continue;
            }

            try
            {
                var environment = File.ReadAllText(Path.Combine(directory, "environ")).Split('\0');
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline"));
                var resource = environment.Contains($"{markerVariable}={marker}")
                    ? environment.First(v => v.StartsWith(resourceVariable + "=", StringComparison.Ordinal))[(resourceVariable.Length + 1)..]
                    : byDirectory.FirstOrDefault(d => Path.GetFileName(commandLine.Split('\0', ' ')[0]) == d.Program
                        && ReadLink(Path.Combine(directory, "cwd")).StartsWith(d.Directory, StringComparison.Ordinal)).Resource;
                if (resource is null || IsLauncher(commandLine))
                {
                    continue;
                }

                var peak = File.ReadLines(Path.Combine(directory, "status")).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                if (peak is not null)
                {
                    found.Add((resource, long.Parse(peak["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)));
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // The process ended while we looked.
            }
        }

        return [.. found.GroupBy(p => p.Resource).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ServiceMemory(g.Key, Math.Round(g.Max(p => p.PeakKiB) / 1024.0, 1), g.Count()))];
    }

    private static string ReadLink(string path) => new FileInfo(path).LinkTarget ?? string.Empty;

    /// <summary><c>dotnet run</c> and the orchestrator's wrappers: they start a service, they are not it.</summary>
    private static bool IsLauncher(string commandLine)
    {
        var arguments = commandLine.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        return arguments.Length > 1 && Path.GetFileName(arguments[0]) == "dotnet" && arguments[1] is "run" or "exec" or "build";
    }
}
