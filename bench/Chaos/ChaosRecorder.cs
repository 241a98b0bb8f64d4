namespace WarmTransfer.Benchmarks.Chaos;

/// <summary>
/// Records what the emulator saw during a chaos run: its event log read as it grows (it keeps only its newest events) and a
/// snapshot of its state every <c>interval</c>, each kept small (live calls and conferences only).
/// </summary>
public sealed class ChaosRecorder(EmulatorAdmin emulator, ChaosLog log, TimeSpan interval)
{
    // The TwiML and JSON answers are not needed to judge the run, and would make the recording large.
    private readonly EventFeed _feed = new(emulator, e => e with { Response = null });
    private readonly List<StateSnapshot> _snapshots = [];
    private StateSnapshot? _latest;

    /// <summary>Every event since the start, oldest first; read once the recorder stopped.</summary>
    public IReadOnlyList<EmulatorEvent> Events => _feed.Events;

    public int EventCount => _feed.Events.Count;

    /// <summary>Every snapshot, oldest first; read once the recorder stopped.</summary>
    public IReadOnlyList<StateSnapshot> Snapshots => _snapshots;

    /// <summary>The newest snapshot; safe to read while the recorder runs.</summary>
    public StateSnapshot? Latest => Volatile.Read(ref _latest);

    /// <summary>Times the emulator dropped events before they were read.</summary>
    public int EventGaps => _feed.Gaps;

    /// <summary>Starts after every event logged so far.</summary>
    public Task SkipPastAsync(CancellationToken cancellationToken) => _feed.SkipPastAsync(cancellationToken);

    /// <summary>Records until stopped, telling <paramref name="saw"/> of each snapshot.</summary>
    public async Task RunAsync(Action<StateSnapshot> saw, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await TakeAsync(saw, cancellationToken);
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    log.Note($"the emulator did not answer the recorder once: {exception.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    /// <summary>One snapshot, stamped halfway through its request, and the events logged since the last read.</summary>
    public async Task TakeAsync(Action<StateSnapshot> saw, CancellationToken cancellationToken)
    {
        var before = log.Now;
        var state = await emulator.StateAsync(cancellationToken);
        var snapshot = StateSnapshot.Of(before + (log.Now - before) / 2, state);
        _snapshots.Add(snapshot);
        Volatile.Write(ref _latest, snapshot);
        saw(snapshot);
        await _feed.ReadAsync(cancellationToken);
    }
}
