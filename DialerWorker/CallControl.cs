using Twilio.Clients;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Rest.Api.V2010.Account.Conference;
using Microsoft.Extensions.Options;
using WarmTransfer.CallCenter.Telephony;
using WarmTransfer.CallCenter.Voice;

namespace WarmTransfer.DialerWorker;

/// <summary>The only code that changes live calls through Twilio's REST API.</summary>
public interface ICallControl
{
    Task CancelLegAsync(string callSid);

    Task CompleteLegAsync(string callSid);

    /// <param name="conference">The conference's sid, or its friendly name (the session id) when the sid is not known.</param>
    Task HoldCustomerAsync(string conference, bool hold);

    /// <summary>Takes the customer's call out of their conference to the callback offer (they come back unless they press 1).</summary>
    Task OfferCallbackAsync(string customerCallSid);

    /// <summary>Ends the customer's conference; when it never started, the customer's own call is completed.</summary>
    Task EndConferenceAsync(string conference, string customerCallSid);
}

public sealed class TwilioCallControl(ITwilioRestClient twilio, IOptions<TwilioOptions> options) : ICallControl
{
    public Task CancelLegAsync(string callSid) =>
        CallResource.UpdateAsync(callSid, status: CallResource.UpdateStatusEnum.Canceled, client: twilio);

    public Task CompleteLegAsync(string callSid) =>
        CallResource.UpdateAsync(callSid, status: CallResource.UpdateStatusEnum.Completed, client: twilio);

    public Task OfferCallbackAsync(string customerCallSid) =>
        CallResource.UpdateAsync(customerCallSid, url: options.Value.Url(WebhookPaths.CallbackOffer), method: Twilio.Http.HttpMethod.Post, client: twilio);

    public async Task HoldCustomerAsync(string conference, bool hold) =>
        await ParticipantResource.UpdateAsync(await ConferenceSidAsync(conference) ?? conference, CallCenterTwiml.CustomerLabel, hold: hold,
            holdUrl: hold ? options.Value.Url(WebhookPaths.Hold) : null, client: twilio);

    public async Task EndConferenceAsync(string conference, string customerCallSid)
    {
        if (await ConferenceSidAsync(conference) is { } sid)
        {
            await ConferenceResource.UpdateAsync(sid, status: ConferenceResource.UpdateStatusEnum.Completed, client: twilio);
        }
        else
        {
            await CompleteLegAsync(customerCallSid);
        }
    }

    /// <summary>A conference sid as given, or the in-progress conference of that friendly name; null when there is none.</summary>
    private async Task<string?> ConferenceSidAsync(string conference)
    {
        if (conference.StartsWith("CF", StringComparison.Ordinal) && conference.Length == 34)
        {
            return conference;
        }

        var found = await ConferenceResource.ReadAsync(friendlyName: conference, status: ConferenceResource.StatusEnum.InProgress, limit: 1, client: twilio);
        return found.FirstOrDefault()?.Sid;
    }
}
