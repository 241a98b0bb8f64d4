using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;

namespace WarmTransfer.DialerWorker;

/// <summary>What Twilio says of one call, for the worker's checks before a dial and the reconciler's sweeps.</summary>
public static class TwilioCalls
{
    public static readonly IReadOnlySet<CallResource.StatusEnum> Live =
        new HashSet<CallResource.StatusEnum> { CallResource.StatusEnum.Queued, CallResource.StatusEnum.Ringing, CallResource.StatusEnum.InProgress };

    /// <summary>The call's status at Twilio, or null when Twilio does not know it (404).</summary>
    public static async Task<CallResource.StatusEnum?> StatusAsync(ITwilioRestClient twilio, string callSid)
    {
        try
        {
            return (await CallResource.FetchAsync(callSid, client: twilio)).Status;
        }
        catch (ApiException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Whether Twilio says the call is over, or does not know it.</summary>
    public static async Task<bool> IsOverAsync(ITwilioRestClient twilio, string callSid) =>
        await StatusAsync(twilio, callSid) is not { } status || !Live.Contains(status);
}
