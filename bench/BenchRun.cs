using System.Diagnostics;
using System.Globalization;
using WarmTransfer.Benchmarks.Chaos;
using WarmTransfer.Benchmarks.Scenarios;

namespace WarmTransfer.Benchmarks;

/// <summary>What the command line changes in the chaos soak; null keeps the size's own.</summary>
public sealed record ChaosOverrides(int? Seed = null, double? Minutes = null, int? Agents = null, double? CallsPerSecond = null, bool Clusters = false)
{
    /// <summary>The size's settings with these changes; with no seed given, a new one (printed, so the run can be replayed).</summary>
    public ChaosSettings Apply(BenchSize size)
    {
        var settings = ChaosSettings.For(size, Seed ?? Random.Shared.Next(1, 1_000_000));
        return settings with
        {
            Minutes = Minutes ?? settings.Minutes,
            Agents = Agents ?? settings.Agents,
            CallsPerSecond = CallsPerSecond ?? settings.CallsPerSecond,
            Clusters = Clusters,
        };
    }
}

/// <summary>What to run: which scenarios, at which size, and where the results go.</summary>
/// <param name="WallboardScreenshot">With --wallboard: the flow scenario photographs the supervisor's wallboard while its calls run.</param>
public sealed record BenchOptions(
    BenchSize Size, IReadOnlySet<string> Scenarios, string ResultsDirectory, ChaosOverrides Chaos, bool WallboardScreenshot = false)
{
    /// <summary>The measurements, run when no scenario is named.</summary>
    public static readonly IReadOnlyList<string> AllScenarios =
        [WebhookScenario.Name, TimeToRingScenario.Name, PortalScenario.Name, FullFlowScenario.Name, WorkerThroughputScenario.Name];

    /// <summary>Every scenario that can be named: the measurements and the chaos soak.</summary>
    public static readonly IReadOnlyList<string> KnownScenarios = [.. AllScenarios, ChaosScenario.Name];

    public const string Usage =
        "usage: bench/run.sh [--smoke] [--scenario webhook|ring|portal|flow|workers|chaos]... [--results <folder>]\n" +
        "       flow: [--wallboard]   a screenshot of the supervisor's wallboard during the flow, in the results folder\n" +
        "       chaos: [--seed <n>] [--minutes <m>] [--agents <n>] [--calls-per-second <r>] [--clusters]\n" +
        "              --clusters: on a local Redis Cluster and RabbitMQ cluster, three replicas of every service\n" +
        "       bench/run.sh --check <…-chaos-recording.json>   checks a chaos run's recording again";

    public static bool TryParse(string[] args, out BenchOptions options, out string problem)
    {
        var size = BenchSize.Full;
        var scenarios = new HashSet<string>(StringComparer.Ordinal);
        var results = Path.Combine(RepositoryRoot(), "bench", "results");
        var chaos = new ChaosOverrides();
        var wallboard = false;
        options = new BenchOptions(size, scenarios, results, chaos);
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--smoke":
                    size = BenchSize.Smoke;
                    break;
                case "--wallboard":
                    wallboard = true;
                    break;
                case "--scenario" when KnownScenarios.Contains(value):
                    scenarios.Add(args[++i]);
                    break;
                case "--results" when value is not null:
                    results = Path.GetFullPath(args[++i]);
                    break;
                case "--seed" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed):
                    chaos = chaos with { Seed = seed };
                    i++;
                    break;
                case "--minutes" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var minutes) && minutes > 0:
                    chaos = chaos with { Minutes = minutes };
                    i++;
                    break;
                case "--agents" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var agents) && agents is > 0 and <= 500:
                    chaos = chaos with { Agents = agents };
                    i++;
                    break;
                case "--clusters":
                    chaos = chaos with { Clusters = true };
                    break;
                case "--calls-per-second" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate > 0:
                    chaos = chaos with { CallsPerSecond = rate };
                    i++;
                    break;
                default:
                    problem = $"Not understood: {args[i]}{(value is not null ? $" {value}" : "")}";
                    return false;
            }
        }

        options = new BenchOptions(size, scenarios.Count == 0 ? AllScenarios.ToHashSet() : scenarios, results, chaos, wallboard);
        problem = string.Empty;
        return true;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "WarmTransfer.sln")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}

/// <summary>Runs the chosen scenarios one after another, each against a system of its own.</summary>
public static class BenchRun
{
    public static async Task<BenchReport> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var machine = MachineInfo.Current();
        Progress.Report("bench", $"{options.Size.Name} run of {string.Join(", ", options.Scenarios)} on {machine}");
        var size = options.Size;
        await using var systems = new BenchSystems(size.SharedSystem);
        var webhook = options.Scenarios.Contains(WebhookScenario.Name) ? await new WebhookScenario(size, systems).RunAsync(cancellationToken) : null;
        var ring = options.Scenarios.Contains(TimeToRingScenario.Name) ? await new TimeToRingScenario(size, systems).RunAsync(cancellationToken) : null;
        var portal = options.Scenarios.Contains(PortalScenario.Name) ? await new PortalScenario(size, systems).RunAsync(cancellationToken) : null;
        var flow = options.Scenarios.Contains(FullFlowScenario.Name) ? await new FullFlowScenario(size, systems,
            options.WallboardScreenshot ? Path.Combine(options.ResultsDirectory, $"{started:yyyyMMdd-HHmmss}-wallboard-during-flow.png") : null).RunAsync(cancellationToken) : null;
        var workers = options.Scenarios.Contains(WorkerThroughputScenario.Name) ? await new WorkerThroughputScenario(size, systems).RunAsync(cancellationToken) : null;
        var chaos = options.Scenarios.Contains(ChaosScenario.Name) ? await new ChaosScenario(options.Chaos.Apply(size)).RunAsync(cancellationToken) : null;
        return new BenchReport(started, size.Name, machine, Math.Round(clock.Elapsed.TotalSeconds, 1), webhook, ring, flow, workers, chaos, portal);
    }

    /// <summary>
    /// Writes <c>{time}-{size}.json</c> and <c>.md</c> into the results folder, and a chaos run's recording as
    /// <c>{time}-{size}-chaos-recording.json</c>; returns the paths of the first two.
    /// </summary>
    public static (string Json, string Markdown) Write(BenchReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        var name = Path.Combine(directory, $"{report.Started:yyyyMMdd-HHmmss}-{report.Size}");
        File.WriteAllText(name + ".json", report.ToJson());
        File.WriteAllText(name + ".md", report.ToMarkdown());
        if (report.Chaos?.Recording is { } recording)
        {
            ChaosRecordings.Write(recording, name + "-chaos-recording.json");
        }

        return (name + ".json", name + ".md");
    }
}
