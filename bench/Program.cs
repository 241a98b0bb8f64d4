using WarmTransfer.Benchmarks;

if (args is [BaselineServer.Command])
{
    await BaselineServer.RunAsync();
    return 0;
}

if (args is ["--check", var recording])
{
    // A chaos run's recording checked again, as the checker now stands.
    var verdict = WarmTransfer.Testing.Chaos.InvariantChecker.Check(WarmTransfer.Benchmarks.Chaos.ChaosRecordings.Read(recording));
    foreach (var invariant in verdict.Invariants)
    {
        Console.WriteLine($"{invariant.Id} {invariant.Count,5}  {invariant.Rule}");
        foreach (var example in invariant.Examples)
        {
            Console.WriteLine($"        {example.CallSid ?? example.AgentId}: {example.What}");
            example.Timeline.ToList().ForEach(line => Console.WriteLine($"            {line}"));
        }
    }

    Console.WriteLine(verdict.Summary);
    return 0;
}

if (!BenchOptions.TryParse(args, out var options, out var problem))
{
    Console.Error.WriteLine(problem);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

using var stopping = new CancellationTokenSource();
Console.CancelKeyPress += (_, press) =>
{
    press.Cancel = true;
    stopping.Cancel();
};

var report = await BenchRun.RunAsync(options, stopping.Token);
var (json, markdown) = BenchRun.Write(report, options.ResultsDirectory);
Console.WriteLine();
Console.WriteLine(report.ToMarkdown());
Console.WriteLine($"Results: {json}");
Console.WriteLine($"         {markdown}");
if (report.Chaos is { } chaos)
{
    // Always the last line, so a script can read it.
    Console.WriteLine(chaos.Summary);
}

return 0;
