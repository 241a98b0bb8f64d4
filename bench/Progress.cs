using System.Diagnostics;

namespace WarmTransfer.Benchmarks;

/// <summary>One line per step on the console, with the time since the run began.</summary>
public static class Progress
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static void Report(string scenario, string message) =>
        Console.WriteLine($"[{Clock.Elapsed:mm\\:ss}] {scenario,-7} {message}");
}
