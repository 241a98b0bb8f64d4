using Microsoft.Extensions.Options;
using WarmTransfer.AgentPortal.Agents;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.Figures;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.AgentPortal.Wallboard;

/// <summary>
/// The wallboard's figures, from the contact events (read on from where the last read stopped, so a refresh costs only what
/// happened since) and from the line and the agents as they are now.
/// </summary>
public sealed class WallboardFigures(
    ContactEventLog log, AgentStore agents, SessionStore sessions, IOptionsMonitor<AgentDirectoryOptions> directory,
    IOptionsMonitor<FiguresOptions> options, TimeProvider time)
{
    private static readonly TimeSpan QuarterHour = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private readonly SemaphoreSlim _reading = new(1, 1);
    private readonly List<ContactEvent> _events = [];
    private string? _lastId;

    public async Task<WallboardView> BuildAsync()
    {
        var now = time.GetUtcNow();
        var events = await EventsAsync(now);
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var waiting = await agents.WaitingAsync();
        var longest = await agents.LongestWaitingSinceAsync() is { } since ? (now - since).TotalSeconds : 0;
        return new WallboardView(now, waiting.Count, Math.Max(0, longest),
            Period(events.Where(e => e.At >= today)), Period(events.Where(e => e.At >= now - QuarterHour)),
            events.Where(e => e.At >= today).Sum(e => e.Kind switch
            {
                ContactEventKind.CallbackRequested => 1,
                ContactEventKind.CallbackCompleted or ContactEventKind.CallbackFailed => -1,
                _ => 0,
            }) is var pending and > 0 ? pending : 0,
            await AgentsAsync(), LastHour(events, now));
    }

    /// <summary>The events since the earlier of midnight and an hour ago, read on from the last one seen.</summary>
    private async Task<IReadOnlyList<ContactEvent>> EventsAsync(DateTimeOffset now)
    {
        var from = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        from = from < now - Hour ? from : now - Hour;
        await _reading.WaitAsync();
        try
        {
            _lastId ??= $"{from.ToUnixTimeMilliseconds()}-0";
            while (await log.ReadAsync(_lastId) is { Count: > 0 } read)
            {
                _events.AddRange(read.Select(entry => entry.Event));
                _lastId = read[^1].Id;
            }

            _events.RemoveAll(e => e.At < from);
            return [.. _events];
        }
        finally
        {
            _reading.Release();
        }
    }

    private PeriodFigures Period(IEnumerable<ContactEvent> events)
    {
        var settings = options.CurrentValue;
        var list = events.ToList();
        var answered = list.Where(e => e.Kind == ContactEventKind.Answered).ToList();
        var abandoned = list.Where(e => e.Kind == ContactEventKind.Abandoned).ToList();
        var counted = abandoned.Count(e => e.Duration >= settings.ShortAbandon);
        var inTime = answered.Count(e => e.Duration <= TimeSpan.FromSeconds(settings.ServiceLevelSeconds));
        var offered = list.Count(e => e.Kind == ContactEventKind.Entered);
        var handled = list.Where(e => e.Kind == ContactEventKind.Handled).ToList();
        var transfers = list.Count(e => e.Kind == ContactEventKind.TransferCompleted);
        return new PeriodFigures(offered, answered.Count, inTime, counted, abandoned.Count - counted,
            answered.Count + counted > 0 ? inTime / (double)(answered.Count + counted) : null,
            answered.Count > 0 ? answered.Average(e => e.Duration!.Value.TotalSeconds) : null,
            offered > 0 ? counted / (double)offered : null,
            handled.Count > 0 ? handled.Average(e => e.Duration!.Value.TotalSeconds) : null,
            answered.Count > 0 ? transfers / (double)answered.Count : null);
    }

    /// <summary>Each of the last 60 minutes: callers answered in it, and callers waiting at its end (entered, not yet answered or gone).</summary>
    private static List<MinuteFigures> LastHour(IReadOnlyList<ContactEvent> events, DateTimeOffset now)
    {
        var thisMinute = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds() / 60 * 60);
        var left = events.Where(e => e.Kind is ContactEventKind.Answered or ContactEventKind.Abandoned or ContactEventKind.CallbackFailed)
            .GroupBy(e => e.SessionId).ToDictionary(group => group.Key, group => group.Min(e => e.At));
        var entered = events.Where(e => e.Kind == ContactEventKind.Entered).ToList();
        return [.. Enumerable.Range(0, 60).Select(back =>
        {
            var start = thisMinute.AddMinutes(back - 59);
            var end = start.AddMinutes(1);
            var waiting = entered.Count(e => e.At < end && (!left.TryGetValue(e.SessionId, out var gone) || gone >= end));
            var answered = events.Count(e => e.Kind == ContactEventKind.Answered && e.At >= start && e.At < end);
            return new MinuteFigures(start, waiting, answered);
        })];
    }

    private async Task<List<WallboardAgent>> AgentsAsync()
    {
        var people = directory.CurrentValue;
        var list = new List<WallboardAgent>();
        foreach (var agent in (await agents.AllAsync()).Where(a => people.Find(a.AgentId) is not { IsSupervisor: true }).OrderBy(a => a.AgentId, StringComparer.Ordinal))
        {
            WallboardCall? call = null;
            if (agent is { Status: AgentStatus.Ringing or AgentStatus.InCall, SessionId: { } sessionId } && await sessions.GetAsync(sessionId) is { IsEnded: false } session)
            {
                call = new WallboardCall(Masked(session.Customer.Number), session.ConnectedAt,
                    session.Transfer is { IsUnderWay: true } transfer ? transfer.Outcome.ToString().ToLowerInvariant() : null);
            }

            list.Add(new WallboardAgent(agent.AgentId, people.Find(agent.AgentId)?.DisplayName ?? agent.AgentId, agent.Status,
                agent.Status == AgentStatus.Away ? agent.Reason : null, agent.Since, call));
        }

        return list;
    }

    /// <summary>A number with all but its last 4 digits hidden: "•••0100".</summary>
    public static string Masked(string? number) =>
        number is { Length: > 4 } ? "•••" + number[^4..] : "•••";
}
