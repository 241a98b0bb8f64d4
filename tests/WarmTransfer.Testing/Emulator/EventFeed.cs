namespace WarmTransfer.Testing;

/// <summary>
/// Reads the emulator's event log as it grows, so no event is missed however long a run lasts (the emulator keeps only its
/// newest events): read often enough, and <see cref="Gaps"/> stays 0.
/// </summary>
public sealed class EventFeed(EmulatorAdmin emulator, Func<EmulatorEvent, EmulatorEvent>? keep = null)
{
    private readonly List<EmulatorEvent> _events = [];
    private long _last;

    public IReadOnlyList<EmulatorEvent> Events => _events;

    /// <summary>How many times events were dropped by the emulator before they were read.</summary>
    public int Gaps { get; private set; }

    /// <summary>Starts after every event logged so far.</summary>
    public async Task SkipPastAsync(CancellationToken cancellationToken)
    {
        var events = await emulator.EventsAsync(_last, cancellationToken);
        _last = events.Count > 0 ? events[^1].Sequence : _last;
    }

    /// <summary>Reads the events logged since the last read; returns how many.</summary>
    public async Task<int> ReadAsync(CancellationToken cancellationToken)
    {
        var events = await emulator.EventsAsync(_last, cancellationToken);
        if (events.Count > 0 && _last > 0 && events[0].Sequence > _last + 1)
        {
            Gaps++;
        }

        _events.AddRange(keep is null ? events : events.Select(keep));
        _last = events.Count > 0 ? events[^1].Sequence : _last;
        return events.Count;
    }

    /// <summary>Reads until <paramref name="done"/> holds for the events so far, or the timeout passes.</summary>
    public async Task<bool> ReadUntilAsync(Func<IReadOnlyList<EmulatorEvent>, bool> done, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            await ReadAsync(cancellationToken);
            if (done(_events))
            {
                return true;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }
}
