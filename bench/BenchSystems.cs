namespace WarmTransfer.Benchmarks;

/// <summary>
/// Where the scenarios get their systems. At the full size each scenario starts its own. At the smoke size, whose scenarios
/// last seconds while a system takes most of a minute to start, the scenarios whose settings fit the size's shared settings
/// share one system, started once; each leaves it as it found it (no caller in line or on a call, its agents gone).
/// </summary>
public sealed class BenchSystems(SystemSettings? shared) : IAsyncDisposable
{
    private BenchSystem? _shared;

    public async Task<SystemLease> StartAsync(SystemSettings settings, CancellationToken cancellationToken)
    {
        if (shared is not null && Fits(settings, shared))
        {
            _shared ??= await BenchSystem.StartAsync(shared, cancellationToken);
            return new SystemLease(_shared, Owned: false);
        }

        return new SystemLease(await BenchSystem.StartAsync(settings, cancellationToken), Owned: true);
    }

    public async ValueTask DisposeAsync()
    {
        if (_shared is not null)
        {
            await _shared.DisposeAsync();
        }
    }

    /// <summary>
    /// The shared system has at least the agents wanted, the baseline if wanted, the dials at once wanted if any, and every other
    /// setting the same.
    /// </summary>
    private static bool Fits(SystemSettings wanted, SystemSettings shared) =>
        wanted.Agents <= shared.Agents && (!wanted.WithBaseline || shared.WithBaseline)
        && wanted with { Agents = shared.Agents, WithBaseline = shared.WithBaseline, DialsAtOnce = wanted.DialsAtOnce ?? shared.DialsAtOnce } == shared;
}

/// <summary>A scenario's system: stopped when the lease ends if the scenario started it, left running if it is shared.</summary>
public sealed record SystemLease(BenchSystem System, bool Owned) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Owned ? System.DisposeAsync() : ValueTask.CompletedTask;
}
