using System.Text.Json;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace WarmTransfer.CallCenter.Messaging;

public interface IDialRequestPublisher
{
    /// <summary>Publishes persistently and returns once the broker confirmed it.</summary>
    Task PublishAsync(DialRequest request, CancellationToken cancellationToken);
}

public sealed class DialRequestPublisher(ConfirmedPublisher publisher, ILogger<DialRequestPublisher> logger) : IDialRequestPublisher
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task PublishAsync(DialRequest request, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties
        {
            Persistent = true,
            MessageId = request.RequestId,
            ContentType = "application/json",
            Type = nameof(DialRequest),
        };
        await publisher.PublishAsync(DialQueueTopology.Exchange, DialQueueTopology.RoutingKey, properties,
            JsonSerializer.SerializeToUtf8Bytes(request, Json), cancellationToken);
        logger.LogInformation("Dial request {RequestId} published: {AgentId} for {ConferenceName} as {Role}",
            request.RequestId, request.AgentId, request.ConferenceName, request.Role);
    }
}
