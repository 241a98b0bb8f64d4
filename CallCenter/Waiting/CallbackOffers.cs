using Microsoft.Extensions.Options;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Waiting;

/// <summary>
/// Whether a waiting caller is offered a callback that keeps their place: they are in line, their number can be called back,
/// and their expected wait (<see cref="WaitEstimate"/>) is longer than <see cref="QueueOptions.OfferCallbackAfter"/>. With too
/// little history for an estimate, no offer is made.
/// </summary>
public sealed class CallbackOffers(AgentStore line, TimeProvider time, IOptions<QueueOptions> options)
{
    public async Task<bool> ShouldOfferAsync(string sessionId, string? number)
    {
        if (!CallDecisions.CanCallBack(number) || await line.PositionAsync(sessionId) is not { } position)
        {
            return false;
        }

        var settings = options.Value;
        return WaitEstimate.For(position, await line.ServiceIntervalsAsync(), time.GetUtcNow(), settings) > settings.OfferCallbackAfter;
    }
}
