using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Xunit.Abstractions;
using static WarmTransfer.AppHost.Tests.SystemState;

namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// A callback that keeps the caller's place, through the real system: offered when the line expects a long wait, asked for
/// with a key, kept in Redis through restarts, and carried out when the caller's turn comes.
/// </summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed class CallbackTests(WarmTransferAppFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Offer = "Press 1 to be called back when it is your turn, keeping your place in line, or stay on the line.";
    private const string Confirmation = "We will call you back at the number you called from. Goodbye.";

    private readonly EmulatorAdmin _emulator = EmulatorAdmin.For(fixture.App);
    private readonly List<PortalClient> _agents = [];
    private readonly List<string> _numbers = [];
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        await fixture.ResetAsync();
        _redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis"))!);
        await ExpectLongWaitsAsync(_redis);
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await _emulator.HangUpEveryCallAsync();
        foreach (var number in _numbers)
        {
            await _emulator.ClearAnswerRuleAsync(number);
        }

        await ForgetWaitsAsync(_redis);
        await _redis.DisposeAsync();
        _emulator.Dispose();
    }

    [Fact]
    public async Task A_caller_who_presses_1_during_the_wait_keeps_their_place_through_a_restart_and_is_called_back_when_their_turn_comes()
    {
        // Three callers in a line that expects a long wait: none presses a key when offered on entry.
        var ahead = await _emulator.CallSupportLineAsync(NewNumber());
        await Eventually.HoldsAsync(async () => await InLineAsync(_redis, ahead) ? null : "the first caller is not in line", StepTimeout);
        var number = NewNumber();
        var caller = await _emulator.CallSupportLineAsync(number);
        await InConferenceAsync(caller);

        // The offer comes again during the wait: this time the caller presses 1, and hangs up after the confirmation.
        await PressOneAsync(caller);
        await Eventually.HoldsAsync(async () => (await _emulator.CallAsync(caller))?.IsLive == false ? null : "the caller's call did not end", StepTimeout);
        var said = (await SaidAsync(caller)).Select(e => e.Message).ToList();
        Assert.Equal(Offer, said[0]);
        Assert.Equal(2, said.Count(text => text == Offer));
        Assert.Equal(Confirmation, said[^1]);

        var later = await _emulator.CallSupportLineAsync(NewNumber());
        await Eventually.HoldsAsync(async () => await InLineAsync(_redis, later) ? null : "the later caller is not in line", StepTimeout);
        Assert.Equal([ahead, caller, later], await LineAsync());

        await RestartAsync("webhookapi", "dialerworker");
        Assert.Equal([ahead, caller, later], await LineAsync());
        Assert.Equal("Waiting", (await CallbackAsync(caller))!.Status);

        // An agent comes: the caller who was ahead first, then the callback (the agent rung first, the customer called once they
        // accept), while the later caller still waits.
        var agent = await AgentAsync("agent1");
        await TogetherAsync(ahead, "agent1");
        Assert.Null((await agent.CallAsync())!.Callback);
        await _emulator.HangUpAsync(ahead);
        await TogetherAsync(caller, "agent1");

        var view = await agent.CallAsync();
        Assert.Equal(caller, view!.Conference);
        Assert.Equal(number, view.CustomerNumber);
        Assert.Equal(new CallbackView("answered", view.Callback!.WaitingSince, 1, 2), view.Callback);
        var callback = Assert.Single(await _emulator.CallsAsync(), c => c.To == number);
        Assert.Equal("outbound-api", callback.Direction);
        Assert.Equal("in-progress", callback.Status);
        await WriteTimelineAsync(caller, callback.Sid, ahead);
        // The caller who was ahead hung up after they were answered: their session ends, and only the later caller waits.
        await Eventually.HoldsAsync(async () => await LineAsync() is [var only] && only == later
            ? null : $"the line is [{string.Join(", ", await LineAsync())}]; the first caller's session: {await SessionJsonAsync(ahead)}", StepTimeout);
    }

    [Fact]
    public async Task A_callback_nobody_answers_is_tried_again_after_the_retry_delay_then_given_up_and_the_agent_is_freed()
    {
        var number = NewNumber();
        _numbers.Add(number);
        await _emulator.SetAnswerRuleAsync(number, "busy", 0);
        var caller = await _emulator.CallSupportLineAsync(number);
        await PressOneAsync(caller);
        await Eventually.HoldsAsync(async () => (await _emulator.CallAsync(caller))?.IsLive == false ? null : "the caller's call did not end", StepTimeout);

        var agent = await AgentAsync("agent1");
        await Eventually.HoldsAsync(async () => await CallbackAsync(caller) is { Status: "Failed" } ? null : "the callback has not failed", StepTimeout * 2);

        var tries = (await _emulator.CallsAsync()).Where(c => c.To == number).ToList();
        Assert.Equal(["busy", "busy"], tries.Select(c => c.Status));
        Assert.Equal(2, (await CallbackAsync(caller))!.Attempts);
        Assert.False(await InLineAsync(_redis, caller));
        await StatusIsAsync(agent, "available");
        Assert.Null(await agent.CallAsync());
        await WriteTimelineAsync(caller, [.. tries.Select(c => c.Sid)]);
    }

    /// <summary>The customer and the agent are in the session's conference.</summary>
    private Task TogetherAsync(string sessionId, string agentId) =>
        Eventually.HoldsAsync(async () =>
            (await _emulator.ParticipantsAsync(sessionId)) is var participants
            && participants.Any(p => p.StartsWith("customer:", StringComparison.Ordinal)) && participants.Any(p => p.StartsWith($"{agentId}:", StringComparison.Ordinal))
                ? null : $"the customer and {agentId} are not in {sessionId}'s conference ({string.Join(", ", participants)})", StepTimeout);

    /// <summary>The caller waits in line in the line's conference (after the offer on entry).</summary>
    private Task InConferenceAsync(string callSid) =>
        Eventually.HoldsAsync(async () => await InLineAsync(_redis, callSid) && (await _emulator.CallAsync(callSid))?.ConferenceSid is not null
            ? null : $"{callSid} is not waiting in the line's conference", StepTimeout);

    /// <summary>Presses 1 once the caller's call listens for keys (the offer before the line's conference).</summary>
    private Task PressOneAsync(string callSid) =>
        Eventually.HoldsAsync(async () => await _emulator.PressDigitsAsync(callSid, "1") ? null : "the caller was not offered a callback", StepTimeout);

    private async Task<PortalClient> AgentAsync(string agentId)
    {
        var agent = await PortalClient.SignInAsync(fixture.App, agentId, $"{agentId}-dev-password");
        _agents.Add(agent);
        await _emulator.AnswerAsAsync(agentId);
        await agent.GoAvailableAsync();
        return agent;
    }

    private async Task<string[]> LineAsync() =>
        [.. (await _redis.GetDatabase().ListRangeAsync(SystemState.WaitingLine)).Select(v => v.ToString())];

    /// <summary>The session's callback as stored in Redis.</summary>
    private async Task<StoredCallback?> CallbackAsync(string sessionId)
    {
        var state = await _redis.GetDatabase().HashGetAsync($"wt:session:{{{sessionId}}}", "state");
        return state.IsNull ? null
            : JsonDocument.Parse((string)state!).RootElement.GetProperty("callback").Deserialize<StoredCallback>(new JsonSerializerOptions(JsonSerializerDefaults.Web));
    }

    private sealed record StoredCallback(string Status, int Attempts);

    private async Task<string> SessionJsonAsync(string sessionId) =>
        (string?)await _redis.GetDatabase().HashGetAsync($"wt:session:{{{sessionId}}}", "state") ?? "none";

    private async Task<List<EmulatorEvent>> SaidAsync(string callSid) =>
        [.. (await _emulator.EventsAsync()).Where(e => e.Kind == "say" && e.CallSid == callSid)];

    /// <summary>The scenario as the emulator saw it, for the record.</summary>
    private async Task WriteTimelineAsync(string caller, params string[] calls)
    {
        var events = await _emulator.EventsAsync();
        var start = events.First(e => e.CallSid == caller).Timestamp;
        var callSids = new HashSet<string>([caller, .. calls]);
        callSids.UnionWith(events.Where(e => e.CallSid is not null && e.Message?.Contains("client:agent1", StringComparison.Ordinal) == true
            && e.Timestamp >= start).Select(e => e.CallSid!));
        foreach (var e in events.Where(e => e.Timestamp >= start && (e.CallSid is { } sid && callSids.Contains(sid) || e.ConferenceSid is not null && e.Message?.Contains(caller, StringComparison.Ordinal) == true)))
        {
            output.WriteLine($"{(e.Timestamp - start).TotalSeconds,7:F2} s  {e.Kind,-12} {e.CallSid}  {e.Message ?? e.Url}");
        }
    }

    /// <summary>Every process of these services is killed, as a crash would, and started again.</summary>
    private async Task RestartAsync(params string[] resources)
    {
        List<(int Pid, string CommandLine)> Processes() =>
            [.. AppHostLauncher.ProcessesOf(fixture.RunMarker).Where(p => resources.Any(name => p.CommandLine.Contains(ProjectOf(name), StringComparison.OrdinalIgnoreCase)))];

        Assert.NotEmpty(Processes());
        foreach (var (pid, _) in Processes())
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }

        await Eventually.HoldsAsync(() => Processes() is { Count: > 0 } left ? $"{left.Count} processes alive" : null, TimeSpan.FromSeconds(30));
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
        // All at once, as a machine coming back starts them.
        await Task.WhenAll(resources.Select(async name =>
        {
            await commands.ExecuteCommandAsync(model.Resources.Single(r => r.Name == name), KnownResourceCommands.StartCommand);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(name, timeout.Token);
        }));
    }

    private static string ProjectOf(string resource) => resource switch
    {
        "webhookapi" => "WebhookApi",
        "dialerworker" => "DialerWorker",
        _ => throw new ArgumentOutOfRangeException(nameof(resource), resource, "not a service"),
    };
}
