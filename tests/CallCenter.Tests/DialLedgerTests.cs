using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>Dial requests' idempotency records in a real Redis: one worker dials a request, a second copy of it never does.</summary>
public sealed class DialLedgerTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(9);

    private readonly DialLedger _ledger = new(redis.Connection);

    private static string NewRequestId() => $"CA{Guid.NewGuid():N}.{Guid.NewGuid():N}"[..47];

    [Fact]
    public async Task A_second_copy_waits_while_the_first_is_dialed_and_is_done_once_the_call_is_recorded()
    {
        var request = NewRequestId();

        Assert.IsType<DialDecision.Dial>(await _ledger.BeginAsync(request, "worker-a", Lease));
        var wait = Assert.IsType<DialDecision.Wait>(await _ledger.BeginAsync(request, "worker-b", Lease));
        Assert.InRange(wait.RetryAfter, TimeSpan.FromMilliseconds(1), Lease);

        await _ledger.DialedAsync(request, "CA" + new string('1', 32));
        Assert.Equal(new DialDecision.Done("dialed"), await _ledger.BeginAsync(request, "worker-b", Lease));
    }

    [Fact]
    public async Task A_lease_that_ran_out_with_no_call_recorded_is_taken_by_the_next_copy()
    {
        var request = NewRequestId();

        Assert.IsType<DialDecision.Dial>(await _ledger.BeginAsync(request, "worker-a", TimeSpan.FromMilliseconds(50)));
        var deadline = DateTimeOffset.UtcNow.AddSeconds(5);
        DialDecision decision;
        do
        {
            decision = await _ledger.BeginAsync(request, "worker-b", Lease);
        }
        while (decision is DialDecision.Wait && DateTimeOffset.UtcNow < deadline);

        Assert.IsType<DialDecision.Dial>(decision);
        Assert.False(await _ledger.RenewAsync(request, "worker-a", Lease));
        Assert.True(await _ledger.RenewAsync(request, "worker-b", Lease));
    }

    [Fact]
    public async Task A_request_given_up_on_is_never_dialed_again()
    {
        var request = NewRequestId();
        Assert.IsType<DialDecision.Dial>(await _ledger.BeginAsync(request, "worker-a", Lease));

        await _ledger.FailedAsync(request);

        Assert.Equal(new DialDecision.Done("failed"), await _ledger.BeginAsync(request, "worker-b", Lease));
    }
}
