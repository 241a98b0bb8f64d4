using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace WarmTransfer.Benchmarks.Scenarios;

/// <param name="Completed">Customers served and their call ended by an agent.</param>
/// <param name="Transferred">Of those, warm-transferred to a second agent first.</param>
/// <param name="WithoutTransfer">Of those, ended by the first agent after finding no colleague free for the agents' patience.</param>
/// <param name="Lost">Customers whose call ended without an agent ending it, or who were not served in time.</param>
/// <param name="TimeToFirstAnswer">From the customer calling to the first agent being in the call.</param>
/// <param name="TimeToTransfer">From the first agent asking for the colleague to the colleague having the customer alone.</param>
/// <param name="Services">Each service's peak memory, and the processor time it used while the customers called.</param>
public sealed record FullFlowResult(
    int Customers, int Agents, int CallsPerSecondBudget, double Seconds, int Completed, int Transferred, int WithoutTransfer, int Lost,
    Percentiles TimeToFirstAnswer, Percentiles TimeToTransfer, IReadOnlyList<ServiceUsage> Services, AgentBehaviour Behaviour);

/// <summary>How the headless agents act, in milliseconds.</summary>
public sealed record AgentBehaviour(int AnswerAfter, int TalkBeforeTransfer, int Consult, int TalkAfterTransfer, int TransferPatience);

/// <summary>
/// Many customers at once and a smaller team of headless agents: each call is answered, warm-transferred to a colleague
/// (the first agent asks, the colleague answers, they consult, the first agent leaves), then ended by the colleague.
/// The agents act only on what the portal pushes them, through its API, as the page does.
/// </summary>
public sealed class FullFlowScenario(BenchSize size)
{
    public const string Name = "flow";

    private static readonly AgentBehaviour Behaviour = new(AnswerAfter: 300, TalkBeforeTransfer: 1000, Consult: 500, TalkAfterTransfer: 1000, TransferPatience: 10_000);

    private readonly ConcurrentDictionary<string, CustomerCall> _calls = new(StringComparer.Ordinal);

    public async Task<FullFlowResult> RunAsync(CancellationToken cancellationToken)
    {
        Progress.Report(Name, $"starting the system with {size.FlowAgents} agents, the AppHost's own dialing budget");
        await using var system = await BenchSystem.StartAsync(new SystemSettings(CallsPerSecond: null, Agents: size.FlowAgents), cancellationToken);
        var agents = await AgentPool.SignInAvailableAsync(system, size.FlowAgents, "answer", Behaviour.AnswerAfter, listen: true, cancellationToken);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var acting = agents.Select(agent => ActAsync(agent, stopping.Token)).ToList();
        var started = Stopwatch.GetTimestamp();
        var before = system.Usage();
        try
        {
            Progress.Report(Name, $"{size.FlowCustomers} customers calling");
            await OpenLoop.RunAsync(size.FlowArrivalRate, TimeSpan.FromSeconds(size.FlowCustomers / size.FlowArrivalRate), async (i, ct) =>
            {
                var placedAt = Stopwatch.GetTimestamp();
                var sid = await system.Emulator.CallSupportLineAsync(IncomingCallWebhook.Number(i), ct);
                _calls[sid] = new CustomerCall(placedAt);
                return true;
            }, cancellationToken);

            var deadline = Stopwatch.GetTimestamp() + (long)(size.FlowTimeout.TotalSeconds * Stopwatch.Frequency);
            var ended = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var statuses = (await system.Emulator.CallsAsync(cancellationToken)).ToDictionary(c => c.Sid, c => c.Status, StringComparer.Ordinal);
                ended = _calls.Keys.Count(sid => statuses.GetValueOrDefault(sid) is "completed" or "canceled" or "failed" or "busy" or "no-answer");
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

            var result = new FullFlowResult(_calls.Count, size.FlowAgents, system.CallsPerSecondBudget, Math.Round(seconds, 1), completed.Count,
                completed.Count(c => c.EndedBy == "transfer"), completed.Count(c => c.EndedBy == "first"), _calls.Count - completed.Count,
                firstAnswer.Summary(), transfer.Summary(), ServiceUsage.Between(before, system.Usage()), Behaviour);
            Progress.Report(Name, $"{result.Completed} completed ({result.Transferred} transferred, {result.WithoutTransfer} without), {result.Lost} lost in {result.Seconds} s");
            return result;
        }
        finally
        {
            await stopping.CancelAsync();
            await Task.WhenAll(acting);
            await AgentPool.DisposeAllAsync(agents);
        }
    }

    /// <summary>One agent: acts on the newest pushed view, and looks again every 100 ms while something is pending.</summary>
    private async Task ActAsync(HeadlessAgent agent, CancellationToken cancellationToken)
    {
        AgentView? view = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            tick.CancelAfter(TimeSpan.FromMilliseconds(100));
            try
            {
                if (!await agent.Hub!.Views.WaitToReadAsync(tick.Token))
                {
                    return;
                }

                while (agent.Hub.Views.TryRead(out var newer))
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
                    await StepAsync(agent, call, customer, cancellationToken);
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

    private static async Task StepAsync(HeadlessAgent agent, CallView call, CustomerCall customer, CancellationToken cancellationToken)
    {
        var now = Stopwatch.GetTimestamp();
        switch (call)
        {
            // The colleague, alone with the customer once the first agent left: the transfer is complete.
            case { Role: "owner", MyStatus: "in-call" } when customer.Colleague == agent.Id:
                customer.TransferCompletedAt ??= now;
                if (Elapsed(customer.TransferCompletedAt.Value, now) >= Behaviour.TalkAfterTransfer && customer.EndedBy is null)
                {
                    customer.EndedBy = "transfer";
                    await agent.Portal.PostOkAsync("/api/end", new { }, cancellationToken);
                }

                return;
            case { Role: "owner", MyStatus: "in-call", Transfer: null or { State: "failed" or "cancelled" } }:
                customer.AnsweredAt ??= now;
                if (Elapsed(customer.AnsweredAt.Value, now) < Behaviour.TalkBeforeTransfer || customer.EndedBy is not null)
                {
                    return;
                }

                customer.FirstTransferTry ??= now;
                if (Elapsed(customer.FirstTransferTry.Value, now) > Behaviour.TransferPatience)
                {
                    customer.EndedBy = "first";
                    await agent.Portal.PostOkAsync("/api/end", new { }, cancellationToken);
                    return;
                }

                var colleagues = agent.Hub!.Available.Where(c => c.Id != agent.Id).ToList();
                if (colleagues.Count == 0)
                {
                    return;
                }

                var colleague = colleagues[Random.Shared.Next(colleagues.Count)].Id;
                using (var transfer = await agent.Portal.PostAsync("/api/transfer", new { colleague }, cancellationToken))
                {
                    // 409: taken a moment ago by someone else; another colleague is tried on the next look.
                    if (transfer.StatusCode == HttpStatusCode.Accepted)
                    {
                        customer.TransferRequestedAt = now;
                        customer.Colleague = colleague;
                    }
                }

                return;
            case { Role: "owner", Transfer.State: "consulting" }:
                customer.ConsultingSince ??= now;
                if (Elapsed(customer.ConsultingSince.Value, now) >= Behaviour.Consult && !customer.FirstLeft)
                {
                    customer.FirstLeft = true;
                    await agent.Portal.PostOkAsync("/api/leave", new { }, cancellationToken);
                }

                return;
        }
    }

    private static double Elapsed(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    /// <summary>One customer's progress, in stopwatch timestamps; written by the one agent acting at each step.</summary>
    private sealed class CustomerCall(long placedAt)
    {
        public long PlacedAt { get; } = placedAt;

        public long? AnsweredAt { get; set; }

        public long? FirstTransferTry { get; set; }

        public long? TransferRequestedAt { get; set; }

        public long? ConsultingSince { get; set; }

        public bool FirstLeft { get; set; }

        /// <summary>The colleague the call is being transferred to.</summary>
        public string? Colleague { get; set; }

        public long? TransferCompletedAt { get; set; }

        /// <summary>Which agent ended the call: <c>transfer</c> (the colleague, after the transfer) or <c>first</c> (no colleague was free).</summary>
        public string? EndedBy { get; set; }
    }
}
