using Microsoft.Extensions.Options;

namespace WarmTransfer.TwilioEmulator.Model;

/// <summary>
/// Forgets ended calls and conferences once <see cref="EmulatorTimingOptions.EndedRetention"/> has passed, so an emulator
/// that runs for long (a load test) keeps what is live and recent, not everything it ever saw.
/// </summary>
public sealed class EndedStatePruner(EmulatorState state, IOptions<EmulatorTimingOptions> timing, TimeProvider time) : BackgroundService
{
    /// <summary>The longest wait between two sweeps: an item is forgotten at most this long after its retention ran out.</summary>
    private static readonly TimeSpan MaxSweepInterval = TimeSpan.FromMinutes(1);

    /// <summary>The shortest period a <see cref="PeriodicTimer"/> takes.</summary>
    private static readonly TimeSpan MinSweepInterval = TimeSpan.FromMilliseconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retention = timing.Value.EndedRetention;
        using var sweeps = new PeriodicTimer(
            TimeSpan.FromTicks(Math.Clamp((retention / 4).Ticks, MinSweepInterval.Ticks, MaxSweepInterval.Ticks)), time);
        try
        {
            while (await sweeps.WaitForNextTickAsync(stoppingToken))
            {
                state.ForgetEndedBefore(time.GetUtcNow() - retention);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
