using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace WarmTransfer.AppHost.Tests;

/// <summary>What became of a batch of callers, as the emulator saw it.</summary>
/// <param name="DuplicateRings">Dial requests that rang an agent more than once.</param>
/// <param name="Creations">Calls created through Twilio's REST API since the run began (and how many of them failed).</param>
/// <param name="PeakCallsPerSecond">The most call creations within one second.</param>
public sealed record CallerFigures(int Placed, int Connected, int Lost, int DuplicateRings, int Creations, int FailedCreations, int PeakCallsPerSecond)
{
    /// <summary>
    /// Waits until an agent joined each customer's conference, hanging each customer up once connected so the agents are
    /// free for the next caller; then counts what the emulator saw since <paramref name="since"/>, and writes it out.
    /// </summary>
    public static async Task<CallerFigures> ConnectEveryCallerAsync(EmulatorAdmin emulator, IReadOnlyList<string> customers,
        DateTimeOffset since, TimeSpan timeout, ITestOutputHelper output)
    {
        var connected = new HashSet<string>();
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                var state = await emulator.StateAsync();
                foreach (var conference in state.Conferences)
                {
                    var name = conference.FriendlyName;
                    if (customers.Contains(name) && !connected.Contains(name) && conference.Participants
                        .Any(p => p.Label is { } label && label != "customer"))
                    {
                        connected.Add(name);
                        await emulator.HangUpAsync(name);
                    }
                }

                return connected.Count == customers.Count ? null : $"{connected.Count} of {customers.Count} callers connected";
            }, timeout);
        }
        finally
        {
            var figures = await CountAsync(emulator, customers, connected.Count, since);
            output.WriteLine($"calls placed {figures.Placed}, connected {figures.Connected}, lost {figures.Lost}, duplicate agent rings {figures.DuplicateRings}, " +
                $"call creations {figures.Creations} (failed {figures.FailedCreations}), peak calls per second {figures.PeakCallsPerSecond}");
        }

        return await CountAsync(emulator, customers, connected.Count, since);
    }

    private static async Task<CallerFigures> CountAsync(EmulatorAdmin emulator, IReadOnlyList<string> customers, int connected, DateTimeOffset since)
    {
        var rings = (await emulator.AgentCallsAsync()).Where(c => customers.Contains(c.Conference)).GroupBy(c => c.Request).ToList();
        var creations = (await emulator.EventsAsync())
            .Where(e => e.Kind == "rest" && e.Message == "POST Calls.json" && e.Timestamp >= since)
            .Select(e => (At: e.Timestamp, Status: e.StatusCode ?? 0))
            .OrderBy(e => e.At)
            .ToList();
        var peak = creations.Count == 0 ? 0 : creations.Max(c => creations.Count(other => other.At >= c.At && other.At < c.At.AddSeconds(1)));
        return new CallerFigures(customers.Count, connected, customers.Count - connected, rings.Count(g => g.Count() > 1),
            creations.Count, creations.Count(c => c.Status >= 400), peak);
    }
}

/// <summary>A service's processes killed as a crash would, and its replicas started again.</summary>
public static class ServiceProcesses
{
    /// <summary>SIGKILL to every process of the run whose command line names <paramref name="program"/>.</summary>
    public static async Task KillAsync(RunMarker marker, string program)
    {
        List<(int Pid, string CommandLine)> Processes() =>
            [.. AppHostLauncher.ProcessesOf(marker).Where(p => p.CommandLine.Contains(program, StringComparison.Ordinal))];

        foreach (var (pid, _) in Processes())
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }

        await Eventually.HoldsAsync(() => Processes() is { Count: > 0 } left ? $"{left.Count} {program} processes alive" : null, TimeSpan.FromSeconds(30));
    }

    /// <summary>Starts every replica of <paramref name="resource"/> that is not running and waits until it is healthy.</summary>
    public static async Task StartAsync(DistributedApplication app, string resource)
    {
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resource);
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            // Every replica: one still running answers that it is, and stays as it is.
            await commands.ExecuteCommandAsync(model, KnownResourceCommands.StartCommand);
            using var timeout = new CancellationTokenSource(TimeSpan.FromTicks(Math.Max(0, (deadline - DateTimeOffset.UtcNow).Ticks)));
            try
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
                return;
            }
            catch (DistributedApplicationException) when (DateTimeOffset.UtcNow < deadline - TimeSpan.FromSeconds(10))
            {
                // Aspire can report a replica killed a moment ago as failed to start while it still replaces it: asked again, it starts.
            }
        }
    }
}
