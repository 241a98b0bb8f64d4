namespace WarmTransfer.TwilioEmulator.Model;

/// <summary>
/// Every call and conference the emulator knows. The engines change them under <see cref="Sync"/>; everything else reads
/// through <see cref="Read{T}"/> and the Find methods, which take the lock themselves.
/// </summary>
public sealed class EmulatorState
{
    /// <summary>The engines' lock: held while a call, conference or participant changes (reentrant).</summary>
    public object Sync { get; } = new();

    /// <summary>Reads a consistent view: no change happens while <paramref name="read"/> runs.</summary>
    public T Read<T>(Func<T> read)
    {
        lock (Sync)
        {
            return read();
        }
    }

    /// <summary>A participant of a live conference, by its CallSid or by its label.</summary>
    public Participant? FindParticipant(string conferenceSid, string callSidOrLabel)
    {
        lock (Sync)
        {
            return Conferences.GetValueOrDefault(conferenceSid)?.Participants
                .FirstOrDefault(p => p.CallSid == callSidOrLabel || p.Label == callSidOrLabel);
        }
    }

    // Ordered: listings break ties between items created in the same instant by creation order, which a Dictionary
    // stops keeping once entries are removed.
    public OrderedDictionary<string, Call> Calls { get; } = new(StringComparer.Ordinal);
    public OrderedDictionary<string, Conference> Conferences { get; } = new(StringComparer.Ordinal);

    /// <summary>Conferences not completed yet, by friendly name: a name is reused once its conference ended.</summary>
    public Dictionary<string, Conference> ActiveConferencesByName { get; } = new(StringComparer.Ordinal);

    public Call? FindCall(string sid)
    {
        lock (Sync)
        {
            return Calls.GetValueOrDefault(sid);
        }
    }

    public Conference? FindConference(string sid)
    {
        lock (Sync)
        {
            return Conferences.GetValueOrDefault(sid);
        }
    }

    /// <summary>
    /// Forgets the calls and conferences that ended before <paramref name="cutoff"/>: a later lookup finds nothing, as
    /// for an unknown SID. A call still leaving its conference, or a conference still emptying, stays until it is done.
    /// </summary>
    public void ForgetEndedBefore(DateTimeOffset cutoff)
    {
        lock (Sync)
        {
            RemoveWhere(Calls, call => call is { IsEnded: true, Participant: null } && call.EndTime < cutoff);
            // A completed conference is never updated again: its DateUpdated is when it ended.
            RemoveWhere(Conferences, conference => conference is { Status: ConferenceStatus.Completed, Participants.Count: 0 }
                && conference.DateUpdated < cutoff);
        }
    }

    /// <summary>Rebuilt rather than removed one by one: each removal from an ordered dictionary moves everything after it.</summary>
    private static void RemoveWhere<T>(OrderedDictionary<string, T> items, Func<T, bool> expired)
    {
        if (!items.Values.Any(expired))
        {
            return;
        }

        var kept = items.Where(item => !expired(item.Value)).ToList();
        items.Clear();
        foreach (var (key, value) in kept)
        {
            items.Add(key, value);
        }
    }
}
