using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using WarmTransfer.CallCenter.Messaging;

namespace WarmTransfer.AgentPortal.Live;

/// <summary>
/// Turns agent updates into pushes. Every replica consumes the one queue, so each update is handled once;
/// the SignalR Redis backplane delivers it to the replica that holds each agent's connection.
/// </summary>
/// <remarks>
/// The changed agents' views go out at once. Who is available goes to every page at most every
/// <see cref="AvailableInterval"/>, read afresh after the last change: sent on every change, that list — the whole
/// team — went to the whole team for each call, and the portal used more processor time than any other service
/// (measured with bench/run.sh).
/// </remarks>
public sealed class AgentUpdateConsumer(
    IConnection connection, AgentViews views, IHubContext<AgentHub, IAgentClient> hub, ILogger<AgentUpdateConsumer> logger) : BackgroundService
{
    public static readonly TimeSpan AvailableInterval = TimeSpan.FromMilliseconds(250);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Holds at most one "the available agents changed": further changes before it is taken add nothing.
    private readonly Channel<bool> _availableChanged = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        await AgentUpdateTopology.DeclareAsync(channel, stoppingToken);
        await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: 8, global: false, stoppingToken);

        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) => await HandleAsync(channel, delivery);
        await channel.BasicConsumeAsync(AgentUpdateTopology.Queue, autoAck: false, consumer, stoppingToken);

        try
        {
            await BroadcastAvailableAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            await channel.CloseAsync(CancellationToken.None);
        }
    }

    private async Task BroadcastAvailableAsync(CancellationToken stoppingToken)
    {
        while (await _availableChanged.Reader.WaitToReadAsync(stoppingToken))
        {
            _availableChanged.Reader.TryRead(out _);
            try
            {
                await hub.Clients.All.Available(await views.AvailableAsync());
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Best effort like every push: the next change sends the list again, a reconnecting page reads it.
                logger.LogWarning(exception, "Available agents not pushed");
            }

            await Task.Delay(AvailableInterval, stoppingToken);
        }
    }

    private async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        try
        {
            var update = JsonSerializer.Deserialize<AgentsChanged>(delivery.Body.Span, Json);
            var available = await views.AvailableAsync();
            foreach (var agentId in update?.AgentIds ?? [])
            {
                await hub.Clients.User(agentId).View(await views.BuildAsync(agentId, available));
            }

            _availableChanged.Writer.TryWrite(true);
        }
        catch (Exception exception)
        {
            // A push is best effort: the page reads its whole view again whenever it reconnects.
            logger.LogWarning(exception, "Agent update {DeliveryTag} not pushed", delivery.DeliveryTag);
        }

        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
    }
}
