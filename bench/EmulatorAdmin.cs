using System.Net.Http.Json;
using System.Text.Json;

namespace WarmTransfer.Benchmarks;

/// <summary>An entry of the emulator's event log: a REST request as it arrived, or a webhook as it was sent.</summary>
public sealed record EmulatorEvent(
    long Sequence, DateTimeOffset Timestamp, string Kind, string? Url, int? StatusCode,
    Dictionary<string, string>? Parameters, string? CallSid, string? Message)
{
    public string Parameter(string name) => Parameters?.GetValueOrDefault(name) ?? string.Empty;

    /// <summary>
    /// For a call to an agent the dialer created (a successful <c>POST Calls.json</c>), the customer's conference its
    /// status callback names; otherwise null.
    /// </summary>
    public string? AgentCallConference =>
        this is { Kind: "rest", Message: "POST Calls.json", StatusCode: 201 }
        && Uri.TryCreate(Parameter("StatusCallback"), UriKind.Absolute, out var callback)
            ? System.Web.HttpUtility.ParseQueryString(callback.Query)["conference"]
            : null;
}

public sealed record EmulatorCall(string Sid, string To, string Status);

/// <summary>The emulator's admin API: simulated customers, headless agents' answer rules, the event log and the calls.</summary>
public sealed class EmulatorAdmin(HttpClient http) : IDisposable
{
    public async Task<string> PlaceCallAsync(string from, CancellationToken cancellationToken)
    {
        using var placed = await http.PostAsJsonAsync("/admin/calls", new { from }, cancellationToken);
        placed.EnsureSuccessStatusCode();
        return (await placed.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("sid").GetString()!;
    }

    /// <summary>The agent's headless browser answers (or never answers) a call after the given time.</summary>
    public async Task SetAnswerRuleAsync(string agentId, string action, int afterMilliseconds, CancellationToken cancellationToken)
    {
        using var response = await http.PutAsJsonAsync($"/admin/answer-rules/client:{agentId}", new { action, afterMilliseconds }, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task<IReadOnlyList<EmulatorEvent>> EventsAfterAsync(long sequence, CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<List<EmulatorEvent>>($"/admin/events?after={sequence}", cancellationToken) ?? [];

    public async Task<IReadOnlyList<EmulatorCall>> CallsAsync(CancellationToken cancellationToken) =>
        [.. (await http.GetFromJsonAsync<JsonElement>("/admin/state", cancellationToken)).GetProperty("calls").EnumerateArray()
            .Select(c => new EmulatorCall(c.GetProperty("sid").GetString()!, c.GetProperty("to").GetString()!, c.GetProperty("status").GetString()!))];

    public void Dispose() => http.Dispose();
}

/// <summary>
/// Reads the emulator's event log as it grows, so no event is missed however long a scenario runs (the emulator keeps
/// only its newest events).
/// </summary>
public sealed class EventFeed(EmulatorAdmin emulator)
{
    private readonly List<EmulatorEvent> _events = [];
    private long _last;

    public IReadOnlyList<EmulatorEvent> Events => _events;

    /// <summary>Starts after every event logged so far.</summary>
    public async Task SkipPastAsync(CancellationToken cancellationToken)
    {
        var events = await emulator.EventsAfterAsync(_last, cancellationToken);
        _last = events.Count > 0 ? events[^1].Sequence : _last;
    }

    public async Task ReadAsync(CancellationToken cancellationToken)
    {
        var events = await emulator.EventsAfterAsync(_last, cancellationToken);
        _events.AddRange(events);
        _last = events.Count > 0 ? events[^1].Sequence : _last;
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
