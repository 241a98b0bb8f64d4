using System.Text;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// Dialing that survives faults, through the real system: Twilio failing and rate-limiting, a poison message, RabbitMQ going
/// away. Each test reports calls placed, connected, lost, duplicate agent rings and the peak calls per second Twilio saw.
/// </summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed class DialingFaultTests(WarmTransferAppFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Agents = ["agent1", "agent2", "agent3"];

    private readonly EmulatorAdmin _emulator = EmulatorAdmin.For(fixture.App);
    private readonly List<PortalClient> _sessions = [];
    private DateTimeOffset _started;

    public async Task InitializeAsync()
    {
        await fixture.ResetAsync();
        _started = DateTimeOffset.UtcNow;
        foreach (var agent in Agents)
        {
            await _emulator.AnswerAsAsync(agent);
            var session = await PortalClient.SignInAsync(fixture.App, agent, $"{agent}-dev-password");
            await session.GoAvailableAsync();
            _sessions.Add(session);
        }
    }

    public async Task DisposeAsync()
    {
        await _emulator.ClearFaultsAsync();
        _sessions.ForEach(session => session.Dispose());
        await fixture.ResetAsync();
        _emulator.Dispose();
    }

    [Fact]
    public async Task When_Twilio_fails_30_percent_of_call_creations_every_caller_still_connects_within_the_calls_per_second_budget()
    {
        Assert.True(await _emulator.SetFaultAsync(new FaultRule(FaultRule.CreateCall, ErrorRate: 0.15, TooManyRequestsRate: 0.15)));

        var customers = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            customers.Add(await _emulator.CallSupportLineAsync(SystemState.NewNumber()));
        }

        var figures = await ConnectEveryCallerAsync(customers, TimeSpan.FromMinutes(2));

        Assert.Equal(0, figures.Lost);
        Assert.Equal(0, figures.DuplicateRings);
        Assert.True(figures.FailedCreations > 0, "the emulator injected no fault");
        Assert.True(figures.PeakCallsPerSecond <= WarmTransferAppFixture.CallsPerSecond,
            $"{figures.PeakCallsPerSecond} call creations in one second, over the budget of {WarmTransferAppFixture.CallsPerSecond}");
    }

    [Fact]
    public async Task A_dial_Twilio_keeps_refusing_is_dead_lettered_after_its_retries_and_the_caller_is_offered_again()
    {
        Assert.True(await _emulator.SetFaultAsync(new FaultRule(FaultRule.CreateCall, ErrorRate: 1.0)));
        var factory = new ConnectionFactory { Uri = new Uri((await fixture.App.GetConnectionStringAsync("rabbitmq"))!) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueuePurgeAsync("dial-requests.dead-letter");

        var customer = await _emulator.CallSupportLineAsync(SystemState.NewNumber());
        await Eventually.HoldsAsync(async () => (await channel.QueueDeclarePassiveAsync("dial-requests.dead-letter")).MessageCount > 0
            ? null : "no dial request was dead-lettered", TimeSpan.FromSeconds(60));
        var dead = await channel.BasicGetAsync("dial-requests.dead-letter", autoAck: true);
        Assert.Equal("DialRequest", dead!.BasicProperties.Type);
        Assert.Contains(customer, Encoding.UTF8.GetString(dead.Body.Span), StringComparison.Ordinal);
        var tries = (await _emulator.EventsAsync()).Count(e => e.Kind == "rest"
            && e.Message == "POST Calls.json" && e.Timestamp >= _started);
        Assert.True(tries >= 5, $"only {tries} tries before the request was dead-lettered");

        // Twilio recovers: the caller, offered again, connects.
        await _emulator.ClearFaultsAsync();
        var figures = await ConnectEveryCallerAsync([customer], TimeSpan.FromSeconds(60));
        Assert.Equal(0, figures.Lost);
    }

    [Fact]
    public async Task A_poison_message_ends_in_the_dead_letter_queue_without_blocking_the_others()
    {
        var factory = new ConnectionFactory { Uri = new Uri((await fixture.App.GetConnectionStringAsync("rabbitmq"))!) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var poisonId = Guid.NewGuid().ToString("N");
        await channel.BasicPublishAsync("warmtransfer.dial", "dial", mandatory: true,
            new BasicProperties { MessageId = poisonId, Persistent = true, Type = "DialRequest" }, Encoding.UTF8.GetBytes("{ not json"));

        var figures = await ConnectEveryCallerAsync([await _emulator.CallSupportLineAsync(SystemState.NewNumber())], TimeSpan.FromSeconds(30));
        Assert.Equal(0, figures.Lost);

        var found = false;
        await Eventually.HoldsAsync(async () =>
        {
            while (!found && await channel.BasicGetAsync("dial-requests.dead-letter", autoAck: true) is { } message)
            {
                found = message.BasicProperties.MessageId == poisonId;
            }

            return found ? null : "the poison message is not in the dead-letter queue";
        }, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task While_RabbitMQ_is_down_every_webhook_still_answers_TwiML_and_every_caller_is_connected_once_it_is_back()
    {
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        var rabbitmq = fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "rabbitmq");
        Assert.True((await commands.ExecuteCommandAsync(rabbitmq, KnownResourceCommands.StopCommand)).Success);
        try
        {
            var customers = new List<string>();
            for (var i = 0; i < 5; i++)
            {
                customers.Add(await _emulator.CallSupportLineAsync(SystemState.NewNumber()));
            }

            // Every caller got TwiML and waits in their conference, on hold.
            await Eventually.HoldsAsync(async () =>
            {
                var waiting = 0;
                foreach (var customer in customers)
                {
                    waiting += (await _emulator.ParticipantsAsync(customer)).Any(p => p.StartsWith("customer:", StringComparison.Ordinal)) ? 1 : 0;
                }

                return waiting == customers.Count ? null : $"{waiting} of {customers.Count} callers are in their conference";
            }, TimeSpan.FromSeconds(30));
            var answers = (await _emulator.EventsAsync()).Where(e => e.Kind == "voice-webhook"
                && customers.Contains(e.CallSid ?? string.Empty) && e.Url!.EndsWith("/voice/incoming", StringComparison.Ordinal)).ToList();
            Assert.Equal(customers.Count, answers.Count);
            Assert.All(answers, answer => Assert.Equal(200, answer.StatusCode));

            Assert.True((await commands.ExecuteCommandAsync(rabbitmq, KnownResourceCommands.StartCommand)).Success);
            var figures = await ConnectEveryCallerAsync(customers, TimeSpan.FromMinutes(2));
            Assert.Equal(0, figures.Lost);
            Assert.Equal(0, figures.DuplicateRings);
        }
        finally
        {
            await commands.ExecuteCommandAsync(rabbitmq, KnownResourceCommands.StartCommand);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("rabbitmq", timeout.Token);
        }
    }

    [Fact]
    public async Task Workers_killed_with_50_dial_requests_queued_then_restarted_connect_every_caller_and_ring_no_agent_twice()
    {
        await using var loadAgents = await fixture.AvailableLoadAgentsAsync(agent => _emulator.AnswerAsAsync(agent));
        try
        {
            // With both workers dead, every caller's dial request waits in the queue.
            await KillWorkersAsync();
            var customers = (await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => _emulator.CallSupportLineAsync(SystemState.NewNumber())))).ToList();

            var factory = new ConnectionFactory { Uri = new Uri((await fixture.App.GetConnectionStringAsync("rabbitmq"))!) };
            await using (var connection = await factory.CreateConnectionAsync())
            await using (var channel = await connection.CreateChannelAsync())
            {
                await Eventually.HoldsAsync(async () => (await channel.QueueDeclarePassiveAsync("dial-requests")).MessageCount is var queued && queued >= 50
                    ? null : $"{queued} dial requests queued", TimeSpan.FromSeconds(30));
            }

            // Restarted, the workers get through some; killed again in the middle of dialing, restarted again.
            await StartWorkersAsync();
            await Eventually.HoldsAsync(async () => (await _emulator.AgentCallsAsync()).Count(c => c.AgentId.StartsWith("load", StringComparison.Ordinal)) is var rung && rung >= 10
                ? null : $"{rung} agents rung", TimeSpan.FromSeconds(60));
            await KillWorkersAsync();
            await StartWorkersAsync();

            var figures = await ConnectEveryCallerAsync(customers, TimeSpan.FromMinutes(3));
            Assert.Equal(0, figures.Lost);
            Assert.Equal(0, figures.DuplicateRings);
            Assert.True(figures.PeakCallsPerSecond <= WarmTransferAppFixture.CallsPerSecond,
                $"{figures.PeakCallsPerSecond} call creations in one second, over the budget of {WarmTransferAppFixture.CallsPerSecond}");
        }
        finally
        {
            await StartWorkersAsync();
        }
    }

    private Task KillWorkersAsync() => ServiceProcesses.KillAsync(fixture.RunMarker, "DialerWorker");

    private Task StartWorkersAsync() => ServiceProcesses.StartAsync(fixture.App, "dialerworker");

    private Task<CallerFigures> ConnectEveryCallerAsync(IReadOnlyList<string> customers, TimeSpan timeout) =>
        CallerFigures.ConnectEveryCallerAsync(_emulator, customers, _started, timeout, output);
}
