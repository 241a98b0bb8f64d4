using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>Declares the work queues and the agent-update topology before the service takes traffic.</summary>
internal sealed class MessagingTopologyInitializer(IConnection connection, ILogger<MessagingTopologyInitializer> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await WorkQueueTopology.DeclareAsync(channel, cancellationToken);
        await AgentUpdateTopology.DeclareAsync(channel, cancellationToken);
        logger.LogInformation("Messaging topology declared: queues {DialQueue}, {CommandQueue} and {UpdateQueue}",
            WorkQueueTopology.DialQueue, WorkQueueTopology.CommandQueue, AgentUpdateTopology.Queue);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
