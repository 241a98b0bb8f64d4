using System.Text.Json;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using StackExchange.Redis;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;
using WarmTransfer.CallCenter;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.State;
using WarmTransfer.CallCenter.Telephony;

namespace WarmTransfer.DialerWorker;

/// <summary>
/// Consumes dial requests and rings the agent through Twilio's REST API. A request is acknowledged only after
/// the call was created; a request already done (redelivered) is acknowledged without ringing anyone again.
/// </summary>
public sealed class DialRequestConsumer(
    IConnection connection,
    IConnectionMultiplexer redis,
    ITwilioRestClient twilio,
    IOptions<TwilioOptions> options,
    CallCenterMetrics metrics,
    ILogger<DialRequestConsumer> logger) : BackgroundService
{
    private const ushort Prefetch = 16;
    private static readonly TimeSpan DoneMarkerLifetime = TimeSpan.FromHours(24);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        await DialQueueTopology.DeclareAsync(channel, stoppingToken);
        await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: Prefetch, global: false, stoppingToken);

        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) => await HandleAsync(channel, delivery, stoppingToken);
        await channel.BasicConsumeAsync(DialQueueTopology.Queue, autoAck: false, consumer, stoppingToken);

        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            await channel.CloseAsync(CancellationToken.None);
        }
    }

    private async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery, CancellationToken cancellationToken)
    {
        DialRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<DialRequest>(delivery.Body.Span, Json);
        }
        catch (JsonException exception)
        {
            logger.LogError(exception, "Dial request {MessageId} is not readable; dead-lettered", delivery.BasicProperties.MessageId);
            await channel.BasicRejectAsync(delivery.DeliveryTag, requeue: false, CancellationToken.None);
            return;
        }

        if (request is null)
        {
            await channel.BasicRejectAsync(delivery.DeliveryTag, requeue: false, CancellationToken.None);
            return;
        }

        var done = RedisKeys.DialDone(request.RequestId);
        if (await redis.GetDatabase().StringGetAsync(done) is { HasValue: true } callSid)
        {
            logger.LogInformation("Dial request {RequestId} was already dialed as {CallSid}", request.RequestId, (string?)callSid);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
            return;
        }

        try
        {
            var call = await DialAsync(request);
            await redis.GetDatabase().StringSetAsync(done, call.Sid, DoneMarkerLifetime);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
            logger.LogInformation("Dialed {AgentId} for {ConferenceName} as {Role}: call {CallSid}",
                request.AgentId, request.ConferenceName, request.Role, call.Sid);
        }
        catch (ApiException exception)
        {
            metrics.DialFailed($"twilio-{exception.Code}");
            logger.LogWarning("Twilio refused dial request {RequestId} for {AgentId}: {Code} {Message}",
                request.RequestId, request.AgentId, exception.Code, exception.Message);
            await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: !delivery.Redelivered, CancellationToken.None);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or Twilio.Exceptions.ApiConnectionException)
        {
            logger.LogWarning(exception, "Twilio unreachable for dial request {RequestId}", request.RequestId);
            await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: !cancellationToken.IsCancellationRequested && !delivery.Redelivered, CancellationToken.None);
        }
    }

    private Task<CallResource> DialAsync(DialRequest request)
    {
        var query = $"conference={Uri.EscapeDataString(request.ConferenceName)}&agent={Uri.EscapeDataString(request.AgentId)}&role={request.Role}";
        return CallResource.CreateAsync(
            to: new Client(request.AgentId),
            from: new PhoneNumber(options.Value.PhoneNumber),
            url: options.Value.Url($"{WebhookPaths.AgentJoin}?{query}"),
            method: Twilio.Http.HttpMethod.Post,
            statusCallback: options.Value.Url($"{WebhookPaths.CallStatus}?{query}"),
            statusCallbackMethod: Twilio.Http.HttpMethod.Post,
            statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
            timeout: 20,
            client: twilio);
    }
}
