using System.Net.Http.Json;
using System.Text.Json;

namespace WarmTransfer.AppHost.Tests;

/// <summary>The Twilio emulator's admin API, as the tests see the calls and conferences.</summary>
public sealed class Emulator(DistributedApplication app) : IDisposable
{
    private readonly HttpClient _http = app.CreateHttpClient("twilio-emulator");

    public async Task<string> CallSupportLineAsync(string from)
    {
        using var placed = await _http.PostAsJsonAsync("/admin/calls", new { from });
        placed.EnsureSuccessStatusCode();
        return (await placed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sid").GetString()!;
    }

    /// <summary>Hangs up every call still queued, ringing or in progress.</summary>
    public async Task HangUpEveryCallAsync()
    {
        var calls = (await _http.GetFromJsonAsync<JsonElement>("/admin/state")).GetProperty("calls").EnumerateArray()
            .Where(c => c.GetProperty("status").GetString() is "queued" or "ringing" or "in-progress")
            .Select(c => c.GetProperty("sid").GetString()!).ToList();
        foreach (var sid in calls)
        {
            using var response = await _http.PostAsync($"/admin/calls/{sid}/hangup", null);
        }
    }

    public async Task HangUpAsync(string callSid) => (await _http.PostAsync($"/admin/calls/{callSid}/hangup", null)).EnsureSuccessStatusCode();

    /// <summary>The headless browser of an agent answers after a short ring.</summary>
    public Task AnswerAsAsync(string agentId) => AnswerAsAsync(agentId, afterMilliseconds: 100);

    /// <summary>The headless browser of an agent declines after a short ring.</summary>
    public async Task RejectAsAsync(string agentId, int afterMilliseconds = 100) =>
        (await _http.PutAsJsonAsync($"/admin/answer-rules/client:{agentId}", new { action = "reject", afterMilliseconds })).EnsureSuccessStatusCode();

    /// <summary>The headless browser of an agent answers after the given time.</summary>
    public async Task AnswerAsAsync(string agentId, int afterMilliseconds) =>
        (await _http.PutAsJsonAsync($"/admin/answer-rules/client:{agentId}", new { action = "answer", afterMilliseconds })).EnsureSuccessStatusCode();

    /// <summary>The calls the emulator holds, newest last.</summary>
    public async Task<JsonElement[]> CallsAsync() =>
        [.. (await _http.GetFromJsonAsync<JsonElement>("/admin/state")).GetProperty("calls").EnumerateArray()];

    /// <summary>The calls the dialer created to agents, with the conference and dial request named in their status callback.</summary>
    public async Task<List<AgentCall>> AgentCallsAsync() =>
        [.. (await CallsAsync())
            .Where(c => c.GetProperty("to").GetString()!.StartsWith("client:", StringComparison.Ordinal) && c.GetProperty("statusCallback").GetString() is not null)
            .Select(c =>
            {
                var query = System.Web.HttpUtility.ParseQueryString(new Uri(c.GetProperty("statusCallback").GetString()!).Query);
                return new AgentCall(c.GetProperty("to").GetString()!["client:".Length..], query["conference"] ?? string.Empty,
                    query["request"] ?? string.Empty, c.GetProperty("status").GetString()!);
            })];

    /// <summary>The agent's browser rings and rings: nobody picks up.</summary>
    public async Task NeverAnswerAsAsync(string agentId) =>
        (await _http.PutAsJsonAsync($"/admin/answer-rules/client:{agentId}", new { action = "never" })).EnsureSuccessStatusCode();

    /// <summary>Calls to the agent ring their registered browser again, instead of a headless answer rule.</summary>
    public async Task RingBrowserOfAsync(string agentId)
    {
        using var response = await _http.DeleteAsync($"/admin/answer-rules/client:{agentId}");
        Assert.True(response.IsSuccessStatusCode || response.StatusCode == System.Net.HttpStatusCode.NotFound, $"answer rule of {agentId}: {response.StatusCode}");
    }

    public Uri BaseAddress => _http.BaseAddress!;

    public async Task<JsonElement?> ConferenceAsync(string friendlyName) =>
        (await _http.GetFromJsonAsync<JsonElement>("/admin/state")).GetProperty("conferences").EnumerateArray()
            .Where(c => c.GetProperty("friendlyName").GetString() == friendlyName)
            .Select(c => (JsonElement?)c)
            .LastOrDefault();

    public async Task<JsonElement?> CallAsync(string sid) =>
        (await _http.GetFromJsonAsync<JsonElement>("/admin/state")).GetProperty("calls").EnumerateArray()
            .Where(c => c.GetProperty("sid").GetString() == sid)
            .Select(c => (JsonElement?)c)
            .SingleOrDefault();

    public async Task<JsonElement[]> DevicesAsync() =>
        [.. (await _http.GetFromJsonAsync<JsonElement>("/admin/state")).GetProperty("devices").EnumerateArray()];

    public async Task<JsonElement[]> EventsAsync() => (await _http.GetFromJsonAsync<JsonElement[]>("/admin/events"))!;

    /// <summary>"customer:start=False,end=True,hold=False,audio=conference" per participant, in joining order.</summary>
    public async Task<string[]> ParticipantsAsync(string friendlyName) =>
        await ConferenceAsync(friendlyName) is { } conference
            ? [.. conference.GetProperty("participants").EnumerateArray().Where(p => p.GetProperty("status").GetString() == "connected").Select(p =>
                $"{p.GetProperty("label").GetString()}:start={p.GetProperty("startConferenceOnEnter").GetBoolean()},end={p.GetProperty("endConferenceOnExit").GetBoolean()},hold={p.GetProperty("hold").GetBoolean()},audio={p.GetProperty("audio").GetString()}")]
            : [];

    public void Dispose() => _http.Dispose();
}

/// <summary>A call to an agent's client: which agent, for which customer's conference and dial request, and its status now.</summary>
public sealed record AgentCall(string AgentId, string Conference, string Request, string Status);
