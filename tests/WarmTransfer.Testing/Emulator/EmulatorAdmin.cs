using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace WarmTransfer.Testing;

/// <summary>
/// The Twilio emulator's admin API (TwilioEmulator/README.md): simulated customers, how call targets answer, REST faults,
/// callback delivery, devices, the state of calls and conferences, and the event log.
/// </summary>
public sealed class EmulatorAdmin(HttpClient http) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static EmulatorAdmin For(DistributedApplication app) => new(app.CreateHttpClient("twilio-emulator"));

    public Uri BaseAddress => http.BaseAddress!;

    /// <summary>A simulated customer calls the support number; returns the call's SID.</summary>
    public async Task<string> CallSupportLineAsync(string from, CancellationToken cancellationToken = default)
    {
        using var placed = await http.PostAsJsonAsync("/admin/calls", new { from }, cancellationToken);
        placed.EnsureSuccessStatusCode();
        return (await placed.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("sid").GetString()!;
    }

    /// <summary>Hangs the call up as the other end would.</summary>
    public async Task HangUpAsync(string callSid, CancellationToken cancellationToken = default)
    {
        using var response = await http.PostAsync($"/admin/calls/{callSid}/hangup", null, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The caller presses keys; false when their call is not gathering keys now (409).</summary>
    public async Task<bool> PressDigitsAsync(string callSid, string digits, CancellationToken cancellationToken = default)
    {
        using var response = await http.PostAsJsonAsync($"/admin/calls/{callSid}/digits", new { digits }, cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            return false;
        }

        response.EnsureSuccessStatusCode();
        return true;
    }

    /// <summary>Hangs up every call still queued, ringing or in progress.</summary>
    public async Task HangUpEveryCallAsync(CancellationToken cancellationToken = default)
    {
        foreach (var call in (await CallsAsync(cancellationToken)).Where(c => c.IsLive))
        {
            using var response = await http.PostAsync($"/admin/calls/{call.Sid}/hangup", null, cancellationToken);
        }
    }

    /// <summary>How calls to <paramref name="target"/> (<c>client:agent1</c> or a number) answer: answer, never, reject, busy or fail.</summary>
    public async Task SetAnswerRuleAsync(string target, string action, int afterMilliseconds, CancellationToken cancellationToken = default)
    {
        using var response = await http.PutAsJsonAsync($"/admin/answer-rules/{target}", new { action, afterMilliseconds }, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Calls to <paramref name="target"/> answer as they would with no rule.</summary>
    public async Task ClearAnswerRuleAsync(string target, CancellationToken cancellationToken = default)
    {
        using var response = await http.DeleteAsync($"/admin/answer-rules/{target}", cancellationToken);
    }

    /// <summary>The agent's headless browser answers after the given time.</summary>
    public Task AnswerAsAsync(string agentId, int afterMilliseconds = 100, CancellationToken cancellationToken = default) =>
        SetAnswerRuleAsync($"client:{agentId}", "answer", afterMilliseconds, cancellationToken);

    /// <summary>The agent's headless browser declines after the given time.</summary>
    public Task RejectAsAsync(string agentId, int afterMilliseconds = 100, CancellationToken cancellationToken = default) =>
        SetAnswerRuleAsync($"client:{agentId}", "reject", afterMilliseconds, cancellationToken);

    /// <summary>The agent's browser rings and rings: nobody picks up.</summary>
    public Task NeverAnswerAsAsync(string agentId, CancellationToken cancellationToken = default) =>
        SetAnswerRuleAsync($"client:{agentId}", "never", 0, cancellationToken);

    /// <summary>Calls to the agent ring their registered devices again, instead of an answer rule; false when there was no rule.</summary>
    public async Task<bool> RingDevicesOfAsync(string agentId, CancellationToken cancellationToken = default)
    {
        using var response = await http.DeleteAsync($"/admin/answer-rules/client:{agentId}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        response.EnsureSuccessStatusCode();
        return true;
    }

    /// <summary>
    /// Sets the fault rule of its endpoint; false when the emulator refused it (400) or did not keep the acted-then-failed
    /// shares asked for (an emulator that does not know them ignores them).
    /// </summary>
    public async Task<bool> SetFaultAsync(FaultRule rule, CancellationToken cancellationToken = default)
    {
        using var response = await http.PutAsJsonAsync("/admin/faults", rule, Json, cancellationToken);
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            return false;
        }

        response.EnsureSuccessStatusCode();
        var kept = (await FaultsAsync(cancellationToken)).FirstOrDefault(r => r.Endpoint == rule.Endpoint);
        return kept is not null
            && (rule.ActedThenErrorRate == 0 || kept.ActedThenErrorRate == rule.ActedThenErrorRate)
            && (rule.ActedThenSlowRate == 0 || kept.ActedThenSlowRate == rule.ActedThenSlowRate);
    }

    public async Task<IReadOnlyList<FaultRule>> FaultsAsync(CancellationToken cancellationToken = default) =>
        await http.GetFromJsonAsync<List<FaultRule>>("/admin/faults", Json, cancellationToken) ?? [];

    public async Task ClearFaultsAsync(CancellationToken cancellationToken = default)
    {
        using var response = await http.DeleteAsync("/admin/faults", cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Sets how callbacks are delivered; false when the emulator has no such setting (404) or refused it (400).</summary>
    public async Task<bool> SetDeliveryAsync(DeliverySettings delivery, CancellationToken cancellationToken = default)
    {
        using var response = await http.PutAsJsonAsync("/admin/delivery", delivery, Json, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest or HttpStatusCode.MethodNotAllowed)
        {
            return false;
        }

        response.EnsureSuccessStatusCode();
        return true;
    }

    /// <summary>How callbacks are delivered now; null when the emulator has no such setting.</summary>
    public async Task<DeliverySettings?> DeliveryAsync(CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync("/admin/delivery", cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<DeliverySettings>(Json, cancellationToken);
    }

    /// <summary>Callbacks in order again.</summary>
    public async Task ResetDeliveryAsync(CancellationToken cancellationToken = default)
    {
        using var response = await http.DeleteAsync("/admin/delivery", cancellationToken);
    }

    /// <summary>
    /// Closes a device's socket as a network drop would (the device id is the one its <c>registered</c> message gave); with
    /// <paramref name="reconnect"/> false the device is told to stay away. False when the emulator has no such device or no such
    /// route.
    /// </summary>
    public async Task<bool> DropDeviceAsync(string deviceId, bool reconnect = true, CancellationToken cancellationToken = default)
    {
        using var response = await http.PostAsync($"/admin/devices/{deviceId}/drop{(reconnect ? "" : "?reconnect=false")}", null, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest or HttpStatusCode.MethodNotAllowed)
        {
            return false;
        }

        response.EnsureSuccessStatusCode();
        return true;
    }

    public async Task<EmulatorState> StateAsync(CancellationToken cancellationToken = default) =>
        (await http.GetFromJsonAsync<EmulatorState>("/admin/state", Json, cancellationToken))!;

    /// <summary>The calls the emulator holds, oldest first, ended ones included.</summary>
    public async Task<IReadOnlyList<EmulatorCall>> CallsAsync(CancellationToken cancellationToken = default) =>
        (await StateAsync(cancellationToken)).Calls;

    public async Task<EmulatorCall?> CallAsync(string sid, CancellationToken cancellationToken = default) =>
        (await CallsAsync(cancellationToken)).SingleOrDefault(c => c.Sid == sid);

    /// <summary>The newest conference of that friendly name.</summary>
    public async Task<EmulatorConference?> ConferenceAsync(string friendlyName, CancellationToken cancellationToken = default) =>
        (await StateAsync(cancellationToken)).Conferences.LastOrDefault(c => c.FriendlyName == friendlyName);

    /// <summary>The connected participants of the newest conference of that name, in joining order, each as its <see cref="EmulatorParticipant.Summary"/>.</summary>
    public async Task<string[]> ParticipantsAsync(string friendlyName, CancellationToken cancellationToken = default) =>
        await ConferenceAsync(friendlyName, cancellationToken) is { } conference
            ? [.. conference.Participants.Where(p => p.IsConnected).Select(p => p.Summary)]
            : [];

    public async Task<IReadOnlyList<EmulatorDevice>> DevicesAsync(CancellationToken cancellationToken = default) =>
        (await StateAsync(cancellationToken)).Devices;

    /// <summary>The calls the dialer created to agents, with the conference and dial request named in their status callback.</summary>
    public async Task<List<AgentCall>> AgentCallsAsync(CancellationToken cancellationToken = default) =>
        [.. (await CallsAsync(cancellationToken))
            .Where(c => c.ClientIdentity is not null && c.StatusCallback is not null)
            .Select(c => new AgentCall(c.ClientIdentity!, c.CallbackParameter("session") ?? string.Empty,
                c.CallbackParameter("leg") ?? string.Empty, c.Status))];

    /// <summary>The events logged after <paramref name="afterSequence"/>, oldest first (the emulator keeps only its newest).</summary>
    public async Task<IReadOnlyList<EmulatorEvent>> EventsAsync(long afterSequence = 0, CancellationToken cancellationToken = default) =>
        await http.GetFromJsonAsync<List<EmulatorEvent>>($"/admin/events?after={afterSequence}", Json, cancellationToken) ?? [];

    public void Dispose() => http.Dispose();
}
