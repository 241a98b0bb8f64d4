namespace WarmTransfer.AppHost.Tests;

/// <summary>Waits for a condition with a timeout, instead of sleeping for a guessed time.</summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Polls <paramref name="problem"/> until it returns null; fails with its last answer on timeout.</summary>
    public static Task HoldsAsync(Func<string?> problem, TimeSpan timeout) => HoldsAsync(() => Task.FromResult(problem()), timeout);

    /// <summary>Polls <paramref name="problem"/> until it returns null; fails with its last answer on timeout.</summary>
    public static async Task HoldsAsync(Func<Task<string?>> problem, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string? last;
        while ((last = await problem()) is not null)
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Still not true after {timeout.TotalSeconds:0} s: {last}");
            }

            await Task.Delay(PollInterval);
        }
    }
}
