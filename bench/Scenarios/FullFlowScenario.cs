using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace WarmTransfer.Benchmarks.Scenarios;

/// <param name="Completed">Customers served and their call ended by an agent.</param>
/// <param name="Plans">How many customers each plan was for: warm or cold transfer to the next free colleague, return to the queue, none.</param>
/// <param name="TransfersAsked">Transfers (warm or cold) the owners asked for and the portal accepted.</param>
/// <param name="TransfersCompleted">Of those, the colleague took the customer.</param>
/// <param name="TransfersCancelled">Of those, cancelled by their owner after waiting longer than the agents' patience.</param>
/// <param name="TransfersFailed">Transfer attempts that failed (the colleague did not take the call); the owner asks again.</param>
/// <param name="Returned">Customers returned to the queue and then served by the next agent.</param>
/// <param name="Lost">Customers whose call ended without an agent ending it, or who were not served in time.</param>
/// <param name="TimeToFirstAnswer">From the customer calling to the first agent being in the call.</param>
/// <param name="TimeToTransfer">From the owner asking for the next free colleague to the colleague having the customer.</param>
/// <param name="GhostOffers">Calls that reached Twilio for an agent whose page had closed before them.</param>
/// <param name="GhostOffersWithdrawn">Of those, offers made just before the page closed, withdrawn when it did: cancelled as soon as they existed.</param>
/// <param name="WaitBehindGhosts">Seconds callers waited behind the others, for their whole ring (goal 0).</param>
/// <param name="Services">Each service's peak memory, and the processor time it used while the customers called.</param>
public sealed record FullFlowResult(
    int Customers, int Agents, int CallsPerSecondBudget, int WrapUpSeconds, double Seconds, int Completed, IReadOnlyDictionary<string, int> Plans,
    int TransfersAsked, int TransfersCompleted, int TransfersCancelled, int TransfersFailed, int Returned, int Lost,
    Percentiles TimeToFirstAnswer, Percentiles TimeToTransfer, int GhostAgents, int GhostOffers, int GhostOffersWithdrawn, double WaitBehindGhosts,
    IReadOnlyList<ServiceUsage> Services, AgentBehaviour Behaviour);

/// <summary>How the headless agents act, in milliseconds.</summary>
public sealed record AgentBehaviour(int AnswerAfter, int TalkBeforeTransfer, int Consult, int TalkAfterTransfer, int TransferPatience, int GhostAway);

/// <summary>What the owner does with a customer after talking for a while.</summary>
public enum CallPlan
{
    /// <summary>Asks for the next free colleague, consults, then leaves.</summary>
    Warm,

    /// <summary>Transfers to the next free colleague and leaves at once.</summary>
    Cold,

    /// <summary>Returns the customer to the queue (its front), for the next available agent.</summary>
    Return,

    /// <summary>Ends the call.</summary>
    None,
}

/// <summary>
/// Many customers at once and a smaller team of headless agents, each a real client (page, heartbeat, softphone). Each call is
/// answered, then — by a fixed pattern over the customers — warm- or cold-transferred to the next free colleague (the
/// transfer waits ahead of every caller when nobody is free), returned to the queue, or simply ended; the agent who ends up
/// with the customer ends the call. Every agent has a wrap-up after each call. A tenth of the agents close their page for a
/// while during the run (their softphone stops answering with it): no caller may wait behind them. The agents act only on
/// what the portal pushes them, through its API, as the page does.
/// </summary>
public sealed class FullFlowScenario(BenchSize size, BenchSystems systems, string? wallboardScreenshot = null)
{
    public const string Name = "flow";

    /// <summary>Mostly warm transfers, some cold, one in ten returned to the queue, one in ten with no transfer.</summary>
    private static readonly CallPlan[] Pattern =
        [CallPlan.Warm, CallPlan.Cold, CallPlan.Warm, CallPlan.Return, CallPlan.Warm, CallPlan.Warm, CallPlan.Cold, CallPlan.Warm, CallPlan.None, CallPlan.Warm];

    private static readonly AgentBehaviour Behaviour = new(AnswerAfter: 300, TalkBeforeTransfer: 1000, Consult: 500, TalkAfterTransfer: 1000,
        TransferPatience: 120_000, GhostAway: 15_000);

    private readonly ConcurrentDictionary<string, CustomerCall> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<(string AgentId, DateTimeOffset From, DateTimeOffset To)> _pagesClosed = [];

    public async Task<FullFlowResult> RunAsync(CancellationToken cancellationToken)
    {
        var budget = size.FlowCallsPerSecond is { } callsPerSecond ? $"a dialing budget of {callsPerSecond}/s" : "the AppHost's own dialing budget";
        Progress.Report(Name, $"starting the system with {size.FlowAgents} agents, {budget}, {size.FlowWrapUpSeconds} s wrap-up");
        await using var lease = await systems.StartAsync(
            new SystemSettings(size.FlowCallsPerSecond, Agents: size.FlowAgents, WrapUpSeconds: size.FlowWrapUpSeconds), cancellationToken);
        var system = lease.System;
        var agents = await AgentPool.SignInAvailableAsync(system, size.FlowAgents, "answer", Behaviour.AnswerAfter, listen: true, cancellationToken);
        var ghosts = agents.Take(size.FlowAgents / 10).ToList();
        var firstEvent = (await system.Emulator.EventsAsync(cancellationToken: cancellationToken)).LastOrDefault()?.Sequence ?? 0;
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var acting = agents.Select(agent => ActAsync(agent, stopping.Token)).ToList();
        var started = Stopwatch.GetTimestamp();
        var before = system.Usage();
        try
        {
            Progress.Report(Name, $"{size.FlowCustomers} customers calling; {ghosts.Count} agents close their page for {Behaviour.GhostAway / 1000} s");
            var leaving = ghosts.Select(ghost => CloseForAWhileAsync(system, ghost, cancellationToken)).ToList();
            var arrivals = TimeSpan.FromSeconds(size.FlowCustomers / size.FlowArrivalRate);
            var photo = wallboardScreenshot is null ? Task.CompletedTask : PhotographWallboardAsync(system, arrivals / 2, wallboardScreenshot, cancellationToken);
            await OpenLoop.RunAsync(size.FlowArrivalRate, arrivals, async (i, ct) =>
            {
                var placedAt = Stopwatch.GetTimestamp();
                var sid = await system.Emulator.CallSupportLineAsync(IncomingCallWebhook.Number(i), ct);
                _calls[sid] = new CustomerCall(placedAt, Pattern[i % Pattern.Length]);
                return true;
            }, cancellationToken);
            await Task.WhenAll(leaving);
            await photo;

            var deadline = Stopwatch.GetTimestamp() + (long)(size.FlowTimeout.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var statuses = (await system.Emulator.CallsAsync(cancellationToken)).ToDictionary(c => c.Sid, c => c.Status, StringComparer.Ordinal);
                var ended = _calls.Keys.Count(sid => statuses.GetValueOrDefault(sid) is "completed" or "canceled" or "failed" or "busy" or "no-answer");
                if (ended == _calls.Count)
                {
                    break;
                }

                Progress.Report(Name, $"{ended} of {_calls.Count} calls ended, {_calls.Values.Count(c => c.TransferCompletedAt is not null)} transferred");
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }

            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var finalStatuses = (await system.Emulator.CallsAsync(cancellationToken)).ToDictionary(c => c.Sid, c => c.Status, StringComparer.Ordinal);
            var completed = _calls.Where(c => c.Value.EndedBy is not null && finalStatuses.GetValueOrDefault(c.Key) == "completed").Select(c => c.Value).ToList();
            var firstAnswer = new LatencyRecorder();
            var transfer = new LatencyRecorder();
            foreach (var call in _calls.Values)
            {
                if (call.AnsweredAt is { } answered)
                {
                    firstAnswer.Record(Stopwatch.GetElapsedTime(call.PlacedAt, answered));
                }

                if (call is { TransferRequestedAt: { } requested, TransferCompletedAt: { } done })
                {
                    transfer.Record(Stopwatch.GetElapsedTime(requested, done));
                }
            }

            var (ghostOffers, withdrawn, waitBehindGhosts) = GhostOffers(await system.Emulator.EventsAsync(firstEvent, cancellationToken));
            var result = new FullFlowResult(_calls.Count, size.FlowAgents, system.CallsPerSecondBudget, size.FlowWrapUpSeconds, Math.Round(seconds, 1), completed.Count,
                Enum.GetValues<CallPlan>().ToDictionary(plan => plan.ToString().ToLowerInvariant(), plan => _calls.Values.Count(c => c.Plan == plan)),
                _calls.Values.Count(c => c.TransferRequestedAt is not null), _calls.Values.Count(c => c.TransferCompletedAt is not null),
                _calls.Values.Count(c => c.TransferCancelled), _calls.Values.Sum(c => c.TransferFailures),
                _calls.Values.Count(c => c is { Plan: CallPlan.Return, HandedOverAt: not null }), _calls.Count - completed.Count,
                firstAnswer.Summary(), transfer.Summary(), ghosts.Count, ghostOffers, withdrawn, Math.Round(waitBehindGhosts.TotalSeconds, 1),
                ServiceUsage.Between(before, system.Usage()), Behaviour);
            Progress.Report(Name, $"{result.Completed} completed, transfers asked {result.TransfersAsked} / completed {result.TransfersCompleted} / cancelled "
                + $"{result.TransfersCancelled}, {result.Lost} lost, {result.GhostOffers} offers to ghosts, in {result.Seconds} s");
            return result;
        }
        finally
        {
            await stopping.CancelAsync();
            await Task.WhenAll(acting);
            await AgentPool.DisposeAllAsync(agents);
        }
    }

    /// <summary>
    /// A ghost: a little into the run the agent's page closes (their laptop shuts, so their softphone answers nothing either),
    /// and comes back a while later.
    /// </summary>
    private async Task CloseForAWhileAsync(BenchSystem system, HeadlessAgent agent, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        await system.Emulator.SetAnswerRuleAsync($"client:{agent.Id}", "never", 0, cancellationToken);
        var closed = DateTimeOffset.UtcNow;
        await agent.Portal.CloseDeskAsync();
        await Task.Delay(Behaviour.GhostAway, cancellationToken);
        var reopened = DateTimeOffset.UtcNow;
        _pagesClosed.Add((agent.Id, closed, reopened));
        await system.Emulator.SetAnswerRuleAsync($"client:{agent.Id}", "answer", Behaviour.AnswerAfter, cancellationToken);
        await agent.Portal.OpenDeskAsync(cancellationToken);
    }

    /// <summary>
    /// Calls that reached Twilio for an agent whose page was closed, and how long callers waited behind them. An offer made
    /// just before the page closed is withdrawn when it closes: the caller is back at the front of the line at once, and its
    /// call, if the dialer was already creating it, is cancelled as soon as it exists — no wait. An offer that rang out (not
    /// cancelled) kept its caller waiting for its whole ring.
    /// </summary>
    private (int Offers, int Withdrawn, TimeSpan Waited) GhostOffers(IReadOnlyList<EmulatorEvent> events)
    {
        var (offers, withdrawn, waited) = (0, 0, TimeSpan.Zero);
        foreach (var creation in events.Where(e => e.AgentCallConference is not null))
        {
            var agent = creation.Parameter("To").Replace("client:", "", StringComparison.Ordinal);
            if (!_pagesClosed.Any(closed => closed.AgentId == agent && closed.From < creation.Timestamp && creation.Timestamp < closed.To))
            {
                continue;
            }

            offers++;
            var sid = creation.Response is { } body ? System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("sid").GetString() : null;
            var end = events.Where(e => e.CallSid == sid && e.Parameter("CallStatus") is "completed" or "no-answer" or "busy" or "failed" or "canceled")
                .OrderBy(e => e.Timestamp).FirstOrDefault();
            if (end?.Parameter("CallStatus") == "canceled")
            {
                withdrawn++;
            }
            else
            {
                waited += (end?.Timestamp ?? creation.Timestamp) - creation.Timestamp;
            }
        }

        return (offers, withdrawn, waited);
    }

    /// <summary>The supervisor's wallboard halfway through the arrivals, while callers wait and agents talk and transfer.</summary>
    private async Task PhotographWallboardAsync(BenchSystem system, TimeSpan after, string path, CancellationToken cancellationToken)
    {
        await Task.Delay(after, cancellationToken);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await WallboardCamera.TakeAsync(system.Portal, path, cancellationToken);
            Progress.Report(Name, $"wallboard photographed: {path}");
        }
        catch (Exception exception) when (exception is Microsoft.Playwright.PlaywrightException or TimeoutException or IOException)
        {
            Progress.Report(Name, $"the wallboard could not be photographed: {exception.Message}");
        }
    }

    /// <summary>One agent: acts on the newest pushed view, and looks again every 100 ms while something is pending.</summary>
    private async Task ActAsync(HeadlessAgent agent, CancellationToken cancellationToken)
    {
        AgentView? view = null;
        var finished = new HashSet<string>(StringComparer.Ordinal);
        while (!cancellationToken.IsCancellationRequested)
        {
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            tick.CancelAfter(TimeSpan.FromMilliseconds(100));
            // A ghost's page closes and opens again: its hub connection is new.
            var hub = agent.Portal.Desk?.Hub;
            try
            {
                if (hub is null || !await hub.Views.WaitToReadAsync(tick.Token))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
                    view = null;
                    continue;
                }

                while (hub.Views.TryRead(out var newer))
                {
                    view = newer.View;
                }
            }
            catch (OperationCanceledException)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                // Nothing new: look at the same view again.
            }

            if (view?.Call is { } call && _calls.TryGetValue(call.Conference, out var customer))
            {
                try
                {
                    await StepAsync(agent, call, customer, finished, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception exception) when (exception is HttpRequestException or InvalidOperationException)
                {
                    Progress.Report(Name, $"{agent.Id}: {exception.Message}");
                }
            }
        }
    }

    /// <param name="finished">The customers this agent handed on: if they come back to them, they are this agent's to end.</param>
    private static async Task StepAsync(HeadlessAgent agent, CallView call, CustomerCall customer, HashSet<string> finished, CancellationToken cancellationToken)
    {
        var now = Stopwatch.GetTimestamp();
        if (call is not { Role: "owner", MyStatus: "in-call" })
        {
            return;
        }

        var first = customer.FirstOwner is null || customer.FirstOwner == agent.Id && !finished.Contains(call.Conference);
        if (!first)
        {
            // The colleague (or the next agent after a return to the queue) has the customer: they end the call after a while.
            customer.HandedOverAt ??= now;
            if (customer.Plan is CallPlan.Warm or CallPlan.Cold)
            {
                customer.TransferCompletedAt ??= now;
            }

            if (Elapsed(customer.HandedOverAt.Value, now) >= Behaviour.TalkAfterTransfer && customer.EndedBy is null)
            {
                // A view from before this agent handed the customer on looks the same: the portal refuses, and the agent who
                // has the customer ends the call.
                using var end = await agent.Portal.PostAsync("/api/end", new { }, cancellationToken);
                if (end.IsSuccessStatusCode)
                {
                    customer.EndedBy = agent.Id;
                }
                else if (end.StatusCode != HttpStatusCode.Forbidden)
                {
                    throw new InvalidOperationException($"{agent.Id}: POST /api/end answered {(int)end.StatusCode}");
                }
            }

            return;
        }

        customer.FirstOwner ??= agent.Id;
        customer.AnsweredAt ??= now;
        switch (call.Transfer?.State)
        {
            case "waiting" or "ringing":
                if (Elapsed(customer.TransferRequestedAt!.Value, now) > Behaviour.TransferPatience && !customer.TransferCancelled)
                {
                    customer.TransferCancelled = true;
                    await agent.Portal.PostOkAsync("/api/transfer/cancel", new { }, cancellationToken);
                }

                return;
            case "consulting":
                customer.ConsultingSince ??= now;
                if (Elapsed(customer.ConsultingSince.Value, now) >= Behaviour.Consult && finished.Add(call.Conference))
                {
                    await agent.Portal.PostOkAsync("/api/leave", new { }, cancellationToken);
                }

                return;
            case "completed":
                return;
            case "failed" when customer.Asking:
                // The colleague did not take it: asked again on this look.
                customer.Asking = false;
                customer.TransferFailures++;
                break;
        }

        if (Elapsed(customer.AnsweredAt.Value, now) < Behaviour.TalkBeforeTransfer || customer.EndedBy is not null)
        {
            return;
        }

        if (customer.Plan == CallPlan.None || customer.TransferCancelled)
        {
            customer.EndedBy = agent.Id;
            await agent.Portal.PostOkAsync("/api/end", new { }, cancellationToken);
            return;
        }

        if (customer.Plan == CallPlan.Return)
        {
            if (finished.Add(call.Conference))
            {
                await agent.Portal.PostOkAsync("/api/return-to-queue", new { }, cancellationToken);
            }

            return;
        }

        if (!customer.Asking)
        {
            var cold = customer.Plan == CallPlan.Cold;
            using var transfer = await agent.Portal.PostAsync("/api/transfer", new { colleague = "", leave = cold }, cancellationToken);
            if (transfer.StatusCode == HttpStatusCode.Accepted)
            {
                customer.Asking = true;
                customer.TransferRequestedAt ??= now;
                if (cold)
                {
                    finished.Add(call.Conference);
                }
            }
        }
    }

    private static double Elapsed(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    /// <summary>One customer's progress, in stopwatch timestamps; written by the one agent acting at each step.</summary>
    private sealed class CustomerCall(long placedAt, CallPlan plan)
    {
        public long PlacedAt { get; } = placedAt;

        public CallPlan Plan { get; } = plan;

        /// <summary>The agent who answered first.</summary>
        public string? FirstOwner { get; set; }

        public long? AnsweredAt { get; set; }

        /// <summary>When the first transfer was asked for.</summary>
        public long? TransferRequestedAt { get; set; }

        /// <summary>A transfer was asked for and has not failed: the owner does not ask again.</summary>
        public bool Asking { get; set; }

        public int TransferFailures { get; set; }

        public bool TransferCancelled { get; set; }

        public long? ConsultingSince { get; set; }

        /// <summary>When the next agent (a colleague, or the one who took the customer from the queue) had the customer.</summary>
        public long? HandedOverAt { get; set; }

        public long? TransferCompletedAt { get; set; }

        /// <summary>The agent who ended the call.</summary>
        public string? EndedBy { get; set; }
    }
}
