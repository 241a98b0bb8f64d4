using Microsoft.Extensions.Options;
using Polly;
using StackExchange.Redis;
using Twilio.Clients;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;
using WarmTransfer.CallCenter;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.Routing;
using WarmTransfer.CallCenter.State;
using WarmTransfer.CallCenter.Telephony;

namespace WarmTransfer.DialerWorker;

/// <summary>
/// Creates agent legs' calls, paced to the account's calls per second. A request is taken through the dial ledger first and
/// dialed only while its session still wants the leg. A creation whose outcome is unknown (a timeout or an error after the
/// request left) is not posted again blindly: Twilio may have made the call, so the worker first looks for it (the leg's own
/// status callback, then Twilio's list of the agent's calls) and dials again only when there is none. A callback's call to the
/// customer (a request with their number) goes the same way, from the support number to the customer's phone.
/// </summary>
public sealed class DialRequestHandler(
    DialLedger ledger,
    DialPacer pacer,
    SessionStore sessions,
    CallSessions calls,
    ITwilioRestClient twilio,
    IOptions<TwilioOptions> twilioOptions,
    IOptions<DialerOptions> options,
    CallCenterMetrics metrics,
    TimeProvider time,
    ILogger<DialRequestHandler> logger) : IMessageHandler<DialRequest>
{
    private readonly ResiliencePipeline _retry = TwilioRetry.Pipeline(options.Value, time);
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}";

    // Renewed every third of it while the dial goes on, however long its tries take.
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(9);

    // A second copy of a request (a publish that timed out and went to the outbox too) looks again this often while another
    // worker holds the lease: a dial takes a fraction of a second, and the copy holds one of the worker's prefetched messages.
    private static readonly TimeSpan LeaseCheck = TimeSpan.FromMilliseconds(250);

    /// <summary>True when decided (acknowledge), false when given up on (dead-letter).</summary>
    public async Task<bool> HandleAsync(DialRequest request, CancellationToken cancellationToken)
    {
        if (!await TakeAsync(request.RequestId, cancellationToken))
        {
            logger.LogInformation("Dial request {RequestId} was already handled: {AgentId} is not rung again", request.RequestId, request.AgentId);
            return true;
        }

        var session = await sessions.GetAsync(request.SessionId);
        if (request.CustomerNumber is not null
            && !(session is { IsEnded: false, Callback: { Status: CallbackStatus.Calling, CallSid: null } callback } && callback.AttemptId == request.LegId))
        {
            // The agent went, or the call was ended, while the request waited: the customer is not called.
            logger.LogInformation("Session {SessionId} no longer wants callback {LegId}: the customer is not called", request.SessionId, request.LegId);
            await ledger.FailedAsync(request.RequestId);
            return true;
        }

        if (request.CustomerNumber is null && session?.Leg(request.LegId) is not { IsLive: true, Withdrawn: false, CallSid: null })
        {
            // The customer hung up, or the leg was withdrawn, while the request waited: nobody is rung. An agent the session never
            // knew (it expired) is freed here; otherwise the session freed them when it withdrew the leg.
            logger.LogInformation("Session {SessionId} no longer wants leg {LegId}: {AgentId} is not rung", request.SessionId, request.LegId, request.AgentId);
            await ledger.FailedAsync(request.RequestId);
            if (session is null)
            {
                await calls.FreeAgentAsync(request.AgentId, request.LegId, away: false, cancellationToken);
            }

            return true;
        }

        // A callback's customer hung up long ago, on purpose: only a caller on the line can have gone.
        if (request is { CustomerNumber: null, Role: AgentRole.Owner } && session!.Callback is null && await CustomerGoneAsync(request.SessionId))
        {
            // A caller who hung up before reaching their conference leaves no callback: nobody is rung for them.
            logger.LogInformation("Customer {SessionId} hung up before {AgentId} was rung", request.SessionId, request.AgentId);
            await ledger.FailedAsync(request.RequestId);
            await calls.HandleAsync(request.SessionId, new SessionEvent.CustomerLeft(CallSid: request.SessionId), cancellationToken);
            return true;
        }

        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var keeping = KeepLeaseAsync(request.RequestId, renewal.Token);
        try
        {
            return await DialAsync(request, cancellationToken);
        }
        finally
        {
            await renewal.CancelAsync();
            await keeping;
        }
    }

    /// <summary>Whether Twilio says the customer's call is over (a lookup that fails says nothing: the dial goes ahead).</summary>
    private async Task<bool> CustomerGoneAsync(string customerCallSid)
    {
        try
        {
            return await TwilioCalls.IsOverAsync(twilio, customerCallSid);
        }
        catch (Exception exception) when (TwilioRetry.IsFailure(exception))
        {
            return false;
        }
    }

    /// <summary>Renews the request's lease until the dial is decided.</summary>
    private async Task KeepLeaseAsync(string requestId, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Lease / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await ledger.RenewAsync(requestId, _owner, Lease);
                }
                catch (RedisException exception)
                {
                    logger.LogWarning(exception, "The lease of dial request {RequestId} was not renewed; trying again", requestId);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The dial is decided.
        }
    }

    private async Task<bool> DialAsync(DialRequest request, CancellationToken cancellationToken)
    {
        using var retryAfter = RetryAfterScope.Begin();
        var attempts = 0;
        try
        {
            var callSid = await _retry.ExecuteAsync(async token =>
            {
                if (++attempts > 1 && await FindCallAsync(request) is { } made)
                {
                    return made;
                }

                await using var slot = await pacer.TakeSlotAsync(token);
                return (await CreateCallAsync(request)).Sid;
            }, cancellationToken);
            await DialedAsync(request, callSid, cancellationToken);
            return true;
        }
        catch (Exception exception) when (TwilioRetry.IsFailure(exception))
        {
            if (await FindCallOrNullAsync(request) is { } made)
            {
                // The last try's answer was lost, but Twilio made the call.
                await DialedAsync(request, made, cancellationToken);
                return true;
            }

            metrics.DialFailed("twilio");
            logger.LogError(exception, "Dial request {RequestId} for {AgentId} failed after its retries; dead-lettered", request.RequestId, request.AgentId);
            await ledger.FailedAsync(request.RequestId);
            await calls.HandleAsync(request.SessionId, request.CustomerNumber is null
                ? new SessionEvent.DialFailed(request.LegId)
                : new SessionEvent.CustomerDialFailed(request.LegId), cancellationToken);
            return false;
        }
    }

    private async Task DialedAsync(DialRequest request, string callSid, CancellationToken cancellationToken)
    {
        await ledger.DialedAsync(request.RequestId, callSid);
        if (request.CustomerNumber is not null)
        {
            logger.LogInformation("Called the customer back for session {SessionId} attempt {LegId}, taken by {AgentId}: call {CallSid}",
                request.SessionId, request.LegId, request.AgentId, callSid);
            await calls.HandleAsync(request.SessionId, new SessionEvent.CustomerCallProgress(request.LegId, callSid, LegCallStatus.Queued), cancellationToken);
            return;
        }

        logger.LogInformation("Dialed {AgentId} for session {SessionId} leg {LegId} as {Role}: call {CallSid}",
            request.AgentId, request.SessionId, request.LegId, request.Role, callSid);
        // The leg learns its call now, whether or not its status callbacks arrive.
        await calls.HandleAsync(request.SessionId, new SessionEvent.LegProgress(request.LegId, callSid, LegCallStatus.Queued), cancellationToken);
    }

    /// <summary>
    /// The leg's call, if an earlier try made it after all: known to the session from its status callback, or a live call
    /// to the agent created since the request was made (an agent has one leg at a time); for a callback, the attempt's call, or a
    /// live call to the customer's number created since.
    /// </summary>
    private async Task<string?> FindCallAsync(DialRequest request)
    {
        var session = await sessions.GetAsync(request.SessionId);
        var known = request.CustomerNumber is null
            ? session?.Leg(request.LegId)?.CallSid
            : session?.Callback is { } callback && callback.AttemptId == request.LegId ? callback.CallSid : null;
        if (known is not null)
        {
            return known;
        }

        try
        {
            var agentCalls = await CallResource.ReadAsync(to: request.CustomerNumber ?? $"client:{request.AgentId}", limit: 20, client: twilio);
            return agentCalls.FirstOrDefault(call => call.Status is { } status && TwilioCalls.Live.Contains(status)
                && call.DateCreated is { } created && created >= request.RequestedAt.UtcDateTime.AddSeconds(-1))?.Sid;
        }
        catch (Exception exception) when (TwilioRetry.IsFailure(exception))
        {
            logger.LogWarning(exception, "Could not look for the call of dial request {RequestId}", request.RequestId);
            throw;
        }
    }

    private async Task<string?> FindCallOrNullAsync(DialRequest request)
    {
        try
        {
            return await FindCallAsync(request);
        }
        catch (Exception exception) when (TwilioRetry.IsFailure(exception))
        {
            return null;
        }
    }

    /// <summary>Takes the request's lease; false when it is already done. Waits while another worker holds it, looking again often.</summary>
    private async Task<bool> TakeAsync(string requestId, CancellationToken cancellationToken)
    {
        while (true)
        {
            switch (await ledger.BeginAsync(requestId, _owner, Lease))
            {
                case DialDecision.Dial:
                    return true;
                case DialDecision.Wait wait:
                    await Task.Delay(wait.RetryAfter < LeaseCheck ? wait.RetryAfter : LeaseCheck, time, cancellationToken);
                    break;
                default:
                    return false;
            }
        }
    }

    /// <summary>
    /// The call: to the agent's softphone, joining by agent-join; or, for a callback, to the customer's phone, joining by customer-join.
    /// Only the progress nothing else tells: "ringing" (it carries the CallSid should this request's answer be lost) and how the
    /// call ended. The answer is the join TwiML's own request, and the call's creation this request's answer.
    /// </summary>
    private Task<CallResource> CreateCallAsync(DialRequest request)
    {
        var query = $"session={Uri.EscapeDataString(request.SessionId)}&leg={Uri.EscapeDataString(request.LegId)}";
        var settings = twilioOptions.Value;
        (IEndpoint to, string join, string status, int timeout) = request.CustomerNumber is { } number
            ? ((IEndpoint)new PhoneNumber(number), WebhookPaths.CustomerJoin, $"{WebhookPaths.CustomerStatus}?{query}", options.Value.CallbackRingTimeoutSeconds)
            : ((IEndpoint)new Client(request.AgentId), WebhookPaths.AgentJoin, $"{WebhookPaths.CallStatus}?{query}&role={request.Role}", options.Value.RingTimeoutSeconds);
        return CallResource.CreateAsync(
            to: to,
            from: new PhoneNumber(settings.PhoneNumber),
            url: settings.Url($"{join}?{query}"),
            method: Twilio.Http.HttpMethod.Post,
            statusCallback: settings.Url(status),
            statusCallbackMethod: Twilio.Http.HttpMethod.Post,
            statusCallbackEvent: ["ringing", "completed"],
            timeout: timeout,
            client: twilio);
    }
}
