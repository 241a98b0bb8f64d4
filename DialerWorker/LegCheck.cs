using Microsoft.Extensions.Options;
using Twilio.Clients;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.Routing;

namespace WarmTransfer.DialerWorker;

/// <summary>
/// Asks Twilio where an agent leg's call is and tells its session: what reconciliation does for a quiet session, and what a
/// page's word that it declined a call, or a ring that has lasted longer than Twilio rings, asks for at once.
/// </summary>
public sealed class LegCheck(CallSessions calls, ITwilioRestClient twilio, IOptions<DialerOptions> options, TimeProvider time)
{
    // A dial this old with no call known was lost on its way (the worker gives up and says so well before).
    private readonly TimeSpan _lostDial = TwilioRetry.WorstCase(options.Value) + TimeSpan.FromSeconds(60);

    /// <summary>
    /// Feeds Twilio's view of the leg's call to its session (or, for a dial with no call long after it was asked for, its loss);
    /// returns the session as it is now: unchanged when Twilio agrees with it, null when it is gone.
    /// </summary>
    public async Task<CallSession?> CheckAsync(CallSession session, AgentLeg leg, CancellationToken cancellationToken)
    {
        SessionEvent? truth = leg.CallSid is { } callSid
            ? await TwilioCalls.StatusAsync(twilio, callSid) switch
            {
                // Twilio no longer knows the call: it ended long ago (or the account was reset).
                null => new SessionEvent.LegProgress(leg.Id, callSid, leg.HasAnswered ? LegCallStatus.Completed : LegCallStatus.Canceled),
                var status when LegCallStatuses.TryParse(status.ToString(), out var parsed) => new SessionEvent.LegProgress(leg.Id, callSid, parsed),
                _ => null,
            }
            : leg.RequestedAt < time.GetUtcNow() - _lostDial ? new SessionEvent.DialFailed(leg.Id) : null;
        return truth is null ? session : (await calls.HandleAsync(session.Id, truth, cancellationToken))?.Session;
    }
}
