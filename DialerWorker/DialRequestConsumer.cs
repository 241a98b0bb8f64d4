using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Rest.Api.V2010.Account.Conference;
using Twilio.Types;
using WarmTransfer.CallCenter;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.Routing;
using WarmTransfer.CallCenter.State;
using WarmTransfer.CallCenter.Telephony;
using WarmTransfer.CallCenter.Voice;

namespace WarmTransfer.DialerWorker;

/// <summary>
/// Carries out the dial queue's work against Twilio's REST API: dial requests (paced to the account's calls per second)
/// and call commands. Each message is taken through the dial ledger first, so a redelivered or duplicated one never rings
/// an agent twice. Twilio 5xx, 429 (after its Retry-After) and timeouts are retried with exponential backoff and jitter; after
/// the last try the message is dead-lettered, counted, and the caller is offered to another agent. A message is
/// acknowledged only once it is decided.
/// </summary>
public sealed class DialRequestConsumer(
    IConnection connection,
    DialLedger ledger,
    DialPacer pacer,
    AgentStore agents,
    ConferenceStore conferences,
    CallRouter router,
    CallFlow flow,
    ITwilioRestClient twilio,
    IOptions<TwilioOptions> twilioOptions,
    IOptions<DialerOptions> options,
    CallCenterMetrics metrics,
    TimeProvider time,
    ILogger<DialRequestConsumer> logger) : BackgroundService
{
    private const ushort Prefetch = 16;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}";
    private readonly ResiliencePipeline _retry = RetryPipeline(options.Value, time);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(false, false, consumerDispatchConcurrency: Prefetch), stoppingToken);
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
        try
        {
            var outcome = delivery.BasicProperties.Type == nameof(CallCommand)
                ? await HandleCommandAsync(Read<CallCommand>(delivery), cancellationToken)
                : await HandleDialAsync(Read<DialRequest>(delivery), cancellationToken);
            if (outcome)
            {
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
            }
            else
            {
                await channel.BasicRejectAsync(delivery.DeliveryTag, requeue: false, CancellationToken.None);
            }
        }
        catch (JsonException exception)
        {
            logger.LogError(exception, "Message {MessageId} on the dial queue is not readable; dead-lettered", delivery.BasicProperties.MessageId);
            await channel.BasicRejectAsync(delivery.DeliveryTag, requeue: false, CancellationToken.None);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the broker redelivers it to another worker; the ledger's lease tells it whether to dial.
        }
        catch (Exception exception)
        {
            // Redis or the broker failed under us: undecided, so it goes back to the queue.
            logger.LogError(exception, "Message {MessageId} on the dial queue could not be handled; requeued", delivery.BasicProperties.MessageId);
            await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None);
        }
    }

    private static T Read<T>(BasicDeliverEventArgs delivery) =>
        JsonSerializer.Deserialize<T>(delivery.Body.Span, Json) ?? throw new JsonException("empty message");

    /// <summary>True when decided (acknowledge), false when given up on (dead-letter).</summary>
    private async Task<bool> HandleDialAsync(DialRequest request, CancellationToken cancellationToken)
    {
        if (!await TakeAsync(request.RequestId, cancellationToken))
        {
            logger.LogInformation("Dial request {RequestId} was already handled: {AgentId} is not rung again", request.RequestId, request.AgentId);
            return true;
        }

        // The customer may have hung up, or the agent been freed, while the request waited.
        var agent = await agents.GetAsync(request.AgentId);
        if (await conferences.GetAsync(request.ConferenceName) is null || agent.ConferenceName != request.ConferenceName)
        {
            logger.LogInformation("Dial request {RequestId}: {ConferenceName} no longer needs {AgentId}", request.RequestId, request.ConferenceName, request.AgentId);
            await ledger.FailedAsync(request.RequestId);
            if (agent.ConferenceName == request.ConferenceName)
            {
                await router.AgentFreeAsync(request.AgentId, cancellationToken);
            }

            return true;
        }

        using var retryAfter = RetryAfterScope.Begin();
        try
        {
            var call = await _retry.ExecuteAsync(async token =>
            {
                await using var slot = await pacer.TakeSlotAsync(token);
                return await CreateCallAsync(request);
            }, cancellationToken);
            await ledger.DialedAsync(request.RequestId, call.Sid);
            logger.LogInformation("Dialed {AgentId} for {ConferenceName} as {Role}: call {CallSid}",
                request.AgentId, request.ConferenceName, request.Role, call.Sid);
            return true;
        }
        catch (Exception exception) when (IsTwilioFailure(exception))
        {
            metrics.DialFailed("twilio");
            logger.LogError(exception, "Dial request {RequestId} for {AgentId} failed after its retries; dead-lettered", request.RequestId, request.AgentId);
            await ledger.FailedAsync(request.RequestId);
            await flow.DialFailedAsync(request.AgentId, request.ConferenceName, request.Role, cancellationToken);
            return false;
        }
    }

    private async Task<bool> HandleCommandAsync(CallCommand command, CancellationToken cancellationToken)
    {
        if (!await TakeAsync(command.RequestId, cancellationToken))
        {
            return true;
        }

        using var retryAfter = RetryAfterScope.Begin();
        try
        {
            await _retry.ExecuteAsync(async _ => await RunAsync(command), cancellationToken);
            await ledger.DoneAsync(command.RequestId);
            logger.LogInformation("{Action} done for {ConferenceName}", command.Action, command.ConferenceName);
            return true;
        }
        catch (ApiException exception) when (exception.Status is >= 400 and < 500 and not 429)
        {
            // The call or conference moved on (answered, ended): nothing is left to change.
            logger.LogInformation("{Action} for {ConferenceName} not needed: {Code} {Message}", command.Action, command.ConferenceName, exception.Code, exception.Message);
            await ledger.FailedAsync(command.RequestId);
            return true;
        }
        catch (Exception exception) when (IsTwilioFailure(exception))
        {
            logger.LogError(exception, "{Action} for {ConferenceName} failed after its retries; dead-lettered", command.Action, command.ConferenceName);
            await ledger.FailedAsync(command.RequestId);
            return false;
        }
    }

    /// <summary>Takes the message's lease; false when it is already done. Waits while another worker holds it.</summary>
    private async Task<bool> TakeAsync(string requestId, CancellationToken cancellationToken)
    {
        while (true)
        {
            switch (await ledger.BeginAsync(requestId, _owner))
            {
                case DialDecision.Dial:
                    return true;
                case DialDecision.Wait wait:
                    await Task.Delay(wait.RetryAfter, time, cancellationToken);
                    break;
                default:
                    return false;
            }
        }
    }

    private Task<CallResource> CreateCallAsync(DialRequest request)
    {
        var query = $"conference={Uri.EscapeDataString(request.ConferenceName)}&agent={Uri.EscapeDataString(request.AgentId)}&role={request.Role}";
        return CallResource.CreateAsync(
            to: new Client(request.AgentId),
            from: new PhoneNumber(twilioOptions.Value.PhoneNumber),
            url: twilioOptions.Value.Url($"{WebhookPaths.AgentJoin}?{query}"),
            method: Twilio.Http.HttpMethod.Post,
            statusCallback: twilioOptions.Value.Url($"{WebhookPaths.CallStatus}?{query}&request={Uri.EscapeDataString(request.RequestId)}"),
            statusCallbackMethod: Twilio.Http.HttpMethod.Post,
            statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
            timeout: options.Value.RingTimeoutSeconds,
            client: twilio);
    }

    private async Task RunAsync(CallCommand command)
    {
        switch (command.Action)
        {
            case CallAction.CancelCall when command.CallSid is not null:
                await CallResource.UpdateAsync(command.CallSid, status: CallResource.UpdateStatusEnum.Canceled, client: twilio);
                break;
            case CallAction.HoldCustomer or CallAction.ResumeCustomer when command.ConferenceSid is not null:
                var hold = command.Action == CallAction.HoldCustomer;
                await ParticipantResource.UpdateAsync(command.ConferenceSid, CallCenterTwiml.CustomerLabel, hold: hold,
                    holdUrl: hold ? twilioOptions.Value.Url(WebhookPaths.Hold) : null, client: twilio);
                break;
            default:
                logger.LogWarning("{Action} for {ConferenceName} lacks the sid it needs; skipped", command.Action, command.ConferenceName);
                break;
        }
    }

    private static bool IsTwilioFailure(Exception exception) =>
        exception is ApiException or ApiConnectionException or HttpRequestException or TaskCanceledException or TimeoutException;

    /// <summary>Retries what may succeed later: Twilio 5xx and 429, connection failures and timeouts.</summary>
    private static ResiliencePipeline RetryPipeline(DialerOptions options, TimeProvider time) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.FirstRetryDelay,
                MaxDelay = TimeSpan.FromSeconds(5),
                ShouldHandle = new PredicateBuilder()
                    .Handle<ApiException>(exception => exception.Status is >= 500 or 429)
                    .Handle<ApiConnectionException>()
                    .Handle<HttpRequestException>()
                    .Handle<TaskCanceledException>()
                    .Handle<TimeoutException>(),
                DelayGenerator = _ => ValueTask.FromResult(RetryAfterScope.Current?.Take()),
            })
            .Build();
}
