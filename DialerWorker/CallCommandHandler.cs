using Microsoft.Extensions.Options;
using Polly;
using Twilio.Exceptions;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.Routing;
using WarmTransfer.CallCenter.State;
using WarmTransfer.CallCenter.Telephony;

namespace WarmTransfer.DialerWorker;

/// <summary>
/// Carries out call commands through <see cref="ICallControl"/>. They are idempotent at Twilio, so a redelivered one is simply
/// done again. A 404 means the leg or conference is already gone: done. 429 and 5xx are retried with backoff; anything
/// else is reported to the session's agents in plain words.
/// </summary>
public sealed class CallCommandHandler(
    ICallControl control, CallSessions calls, SessionStore sessions, LegCheck legs, IOptions<DialerOptions> options, TimeProvider time,
    ILogger<CallCommandHandler> logger)
    : IMessageHandler<CallCommand>
{
    /// <summary>How often, and how far apart, a declined leg is looked up while Twilio still has it ringing.</summary>
    private const int DeclineChecks = 4;

    private static readonly TimeSpan DeclineCheckPause = TimeSpan.FromMilliseconds(250);

    private readonly ResiliencePipeline _retry = TwilioRetry.Pipeline(options.Value, time);

    public async Task<bool> HandleAsync(CallCommand command, CancellationToken cancellationToken)
    {
        using var retryAfter = RetryAfterScope.Begin();
        if (command.Action == CallAction.CheckLeg)
        {
            await _retry.ExecuteAsync(async ct => await CheckDeclinedAsync(command, ct), cancellationToken);
            return true;
        }

        if (command.Action == CallAction.OfferCallback)
        {
            await OfferCallbackAsync(command, cancellationToken);
            return true;
        }

        try
        {
            await _retry.ExecuteAsync(async _ => await RunAsync(command), cancellationToken);
            logger.LogInformation("{Action} done for session {SessionId}", command.Action, command.SessionId);
            return true;
        }
        catch (ApiException exception) when (exception.Status == 404)
        {
            logger.LogInformation("{Action} for session {SessionId}: already gone", command.Action, command.SessionId);
            return true;
        }
        catch (ApiException exception) when (exception.Status is >= 400 and < 500 and not 429)
        {
            logger.LogWarning("{Action} for session {SessionId} refused by Twilio: {Code} {Message}", command.Action, command.SessionId,
                exception.Code, exception.Message);
            await calls.HandleAsync(command.SessionId, new SessionEvent.CommandFailed(Words(command.Action, exception.Message)), cancellationToken);
            return true;
        }
        catch (Exception exception) when (TwilioRetry.IsFailure(exception))
        {
            logger.LogError(exception, "{Action} for session {SessionId} failed after its retries; dead-lettered", command.Action, command.SessionId);
            await calls.HandleAsync(command.SessionId, new SessionEvent.CommandFailed(Words(command.Action, "Twilio did not answer")), cancellationToken);
            return false;
        }
    }

    /// <summary>
    /// The agent's page declined the leg's call: Twilio is asked where it is until it has ended (its status callback may be
    /// lost), and the session told. A leg Twilio still rings after the last look is left to its own callback and to reconciliation.
    /// </summary>
    private async Task CheckDeclinedAsync(CallCommand command, CancellationToken cancellationToken)
    {
        for (var look = 0; look < DeclineChecks; look++)
        {
            if (await sessions.GetAsync(command.SessionId) is not { } session || session.Leg(command.LegId!) is not { IsLive: true, HasAnswered: false } leg)
            {
                return;
            }

            await legs.CheckAsync(session, leg, cancellationToken);
            await Task.Delay(DeclineCheckPause, time, cancellationToken);
        }
    }

    /// <summary>
    /// The waiting caller is taken out of the line's conference to hear the callback offer again, if their session agrees now
    /// (nobody is rung for them). When Twilio does not take the call there, they are still in the conference, and the session
    /// is told so.
    /// </summary>
    private async Task OfferCallbackAsync(CallCommand command, CancellationToken cancellationToken)
    {
        if (await calls.HandleAsync(command.SessionId, new SessionEvent.CallbackOfferRepeated(), cancellationToken) is not { Refusal: null })
        {
            logger.LogInformation("Caller {SessionId} is no longer waiting in the line's conference: no callback offer", command.SessionId);
            return;
        }

        try
        {
            await _retry.ExecuteAsync(async _ => await control.OfferCallbackAsync(command.CallSid!), cancellationToken);
            logger.LogInformation("Caller {SessionId} taken to the callback offer", command.SessionId);
        }
        catch (ApiException exception) when (exception.Status == 404)
        {
            logger.LogInformation("Caller {SessionId} is gone: no callback offer", command.SessionId);
        }
        catch (Exception exception) when (TwilioRetry.IsFailure(exception) || exception is ApiException)
        {
            logger.LogWarning(exception, "Caller {SessionId} could not be taken to the callback offer; they wait on", command.SessionId);
            await calls.HandleAsync(command.SessionId, new SessionEvent.CallbackOfferNotMade(), cancellationToken);
        }
    }

    private Task RunAsync(CallCommand command) => command.Action switch
    {
        CallAction.CancelLeg => control.CancelLegAsync(command.CallSid!),
        CallAction.CompleteLeg => control.CompleteLegAsync(command.CallSid!),
        CallAction.HoldCustomer => control.HoldCustomerAsync(command.ConferenceSid ?? command.SessionId, hold: true),
        CallAction.ResumeCustomer => control.HoldCustomerAsync(command.ConferenceSid ?? command.SessionId, hold: false),
        CallAction.EndConference => control.EndConferenceAsync(command.ConferenceSid ?? command.SessionId, command.CallSid ?? command.SessionId),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command.Action, "unknown call action"),
    };

    private static string Words(CallAction action, string reason) => action switch
    {
        CallAction.HoldCustomer => $"The customer could not be put on hold ({reason}).",
        CallAction.ResumeCustomer => $"The customer could not be taken off hold ({reason}).",
        CallAction.EndConference => $"The call could not be ended ({reason}).",
        CallAction.CancelLeg => $"The colleague's call could not be cancelled ({reason}).",
        _ => $"A call could not be hung up ({reason}).",
    };
}
