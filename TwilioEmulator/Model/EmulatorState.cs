namespace WarmTransfer.TwilioEmulator.Model;

/// <summary>Every call and conference the emulator knows. All changes happen under <see cref="Sync"/>.</summary>
public sealed class EmulatorState
{
    public object Sync { get; } = new();

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
