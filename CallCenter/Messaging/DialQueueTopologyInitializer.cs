using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>Declares the dial-request topology before the service takes traffic.</summary>
internal sealed class DialQueueTopologyInitializer(IConnection connection, ILogger<DialQueueTopologyInitializer> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await DialQueueTopology.DeclareAsync(channel, cancellationToken);
        logger.LogInformation("Dial queue topology declared: exchange {Exchange}, queue {Queue}",
            DialQueueTopology.Exchange, DialQueueTopology.Queue);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
