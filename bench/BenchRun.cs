using System.Diagnostics;
using WarmTransfer.Benchmarks.Scenarios;

namespace WarmTransfer.Benchmarks;

/// <summary>What to run: which scenarios, at which size, and where the results go.</summary>
public sealed record BenchOptions(BenchSize Size, IReadOnlySet<string> Scenarios, string ResultsDirectory)
{
    public static readonly IReadOnlyList<string> AllScenarios =
        [WebhookScenario.Name, TimeToRingScenario.Name, FullFlowScenario.Name, WorkerThroughputScenario.Name];

    public const string Usage =
        "usage: bench/run.sh [--smoke] [--scenario webhook|ring|flow|workers]... [--results <folder>]";

    public static bool TryParse(string[] args, out BenchOptions options, out string problem)
    {
        var size = BenchSize.Full;
        var scenarios = new HashSet<string>(StringComparer.Ordinal);
        var results = Path.Combine(RepositoryRoot(), "bench", "results");
        options = new BenchOptions(size, scenarios, results);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--smoke":
                    size = BenchSize.Smoke;
                    break;
                case "--scenario" when i + 1 < args.Length && AllScenarios.Contains(args[i + 1]):
                    scenarios.Add(args[++i]);
                    break;
                case "--results" when i + 1 < args.Length:
                    results = Path.GetFullPath(args[++i]);
                    break;
                default:
                    problem = $"Not understood: {args[i]}{(i + 1 < args.Length ? $" {args[i + 1]}" : "")}";
                    return false;
            }
        }

        options = new BenchOptions(size, scenarios.Count == 0 ? AllScenarios.ToHashSet() : scenarios, results);
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
        var webhook = options.Scenarios.Contains(WebhookScenario.Name) ? await new WebhookScenario(size).RunAsync(cancellationToken) : null;
        var ring = options.Scenarios.Contains(TimeToRingScenario.Name) ? await new TimeToRingScenario(size).RunAsync(cancellationToken) : null;
        var flow = options.Scenarios.Contains(FullFlowScenario.Name) ? await new FullFlowScenario(size).RunAsync(cancellationToken) : null;
        var workers = options.Scenarios.Contains(WorkerThroughputScenario.Name) ? await new WorkerThroughputScenario(size).RunAsync(cancellationToken) : null;
        return new BenchReport(started, size.Name, machine, Math.Round(clock.Elapsed.TotalSeconds, 1), webhook, ring, flow, workers);
    }

    /// <summary>Writes <c>{time}-{size}.json</c> and <c>.md</c> into the results folder; returns their paths.</summary>
    public static (string Json, string Markdown) Write(BenchReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        var name = Path.Combine(directory, $"{report.Started:yyyyMMdd-HHmmss}-{report.Size}");
        File.WriteAllText(name + ".json", report.ToJson());
        File.WriteAllText(name + ".md", report.ToMarkdown());
        return (name + ".json", name + ".md");
    }
}
