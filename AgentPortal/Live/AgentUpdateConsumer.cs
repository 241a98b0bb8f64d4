using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using WarmTransfer.CallCenter.Messaging;

namespace WarmTransfer.AgentPortal.Live;

/// <summary>
/// Turns agent updates into pushes of the changed agents' own views. Every replica consumes the one queue, so each update is
/// handled once; the SignalR Redis backplane delivers it to the replica that holds each agent's connection. What an update
/// costs does not grow with the agents signed in: the list of free colleagues every page shows is pushed apart, at most
/// a few times a second (<see cref="ColleagueBroadcaster"/>).
/// </summary>
public sealed class AgentUpdateConsumer(
    IConnection connection, AgentViews views, IHubContext<AgentHub, IAgentClient> hub, ILogger<AgentUpdateConsumer> logger) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

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
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            await channel.CloseAsync(CancellationToken.None);
        }
    }

    private async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        try
        {
            var update = JsonSerializer.Deserialize<AgentsChanged>(delivery.Body.Span, Json);
            foreach (var agentId in update?.AgentIds ?? [])
            {
                await hub.Clients.User(agentId).View(await views.BuildAsync(agentId));
            }
        }
        catch (Exception exception)
        {
            // A push is best effort: the page reads its whole view again whenever it reconnects.
            logger.LogWarning(exception, "Agent update {DeliveryTag} not pushed", delivery.DeliveryTag);
        }

        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
    }
}
