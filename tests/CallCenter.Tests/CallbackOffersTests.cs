using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WarmTransfer.CallCenter.State;
using WarmTransfer.CallCenter.Waiting;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>Whether a caller put in line is offered a callback, decided on the place the claim gave them and the line's pace.</summary>
public sealed class CallbackOffersTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private const string Callable = "+14155550100";

    private readonly ManualTime _time = new();

    private CallbackOffers Offers() => new(redis.Connection, new AgentStore(redis.Connection, _time, Options.Create(new PresenceOptions())),
        new SessionStore(redis.Connection, _time, NullLogger<SessionStore>.Instance), _time, Options.Create(new QueueOptions()));

    /// <summary>The line's last callers, served a minute apart: the third in line expects three minutes, past the two after which an offer is made.</summary>
    private List<ServiceInterval> MinuteApart(int served) =>
        [.. Enumerable.Range(1, served).Select(i => new ServiceInterval(_time.GetUtcNow().AddMinutes(-i), TimeSpan.FromMinutes(1)))];

    [Fact]
    public void A_caller_in_line_is_offered_a_callback_only_when_their_expected_wait_is_long_and_their_number_can_be_called_back()
    {
        var offers = Offers();

        Assert.True(offers.ShouldOffer(Callable, new LineClaim(null, 3, MinuteApart(3))));
        // A minute's wait is short; a hidden number cannot be called; a caller not in line waits for nothing.
        Assert.False(offers.ShouldOffer(Callable, new LineClaim(null, 1, MinuteApart(3))));
        Assert.False(offers.ShouldOffer("anonymous", new LineClaim(null, 3, MinuteApart(3))));
        Assert.False(offers.ShouldOffer(Callable, new LineClaim(null, null, MinuteApart(3))));
        // Two callers served are too little history for an estimate: no offer on a guess.
        Assert.False(offers.ShouldOffer(Callable, new LineClaim(null, 3, MinuteApart(2))));
    }
}
