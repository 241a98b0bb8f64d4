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

    public Dictionary<string, Call> Calls { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Conference> Conferences { get; } = new(StringComparer.Ordinal);

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
}
