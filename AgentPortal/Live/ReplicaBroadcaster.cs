namespace WarmTransfer.AgentPortal.Live;

/// <summary>
/// Pushes to the pages open on this replica, in a group of its own (with the Redis backplane each page hears one replica, not
/// all of them), every <see cref="Interval"/> while one is open. A push that fails is logged and made again at the next tick.
/// </summary>
public abstract class ReplicaBroadcaster(TimeSpan interval, string groupPrefix, string what, ILogger logger) : BackgroundService
{
    private int _open;

    public TimeSpan Interval => interval;

    /// <summary>The group of this replica's pages.</summary>
    public string Group { get; } = $"{groupPrefix}:{Environment.MachineName}:{Environment.ProcessId}";

    public virtual void Connected() => Interlocked.Increment(ref _open);

    public void Disconnected() => Interlocked.Decrement(ref _open);

    /// <summary>One tick's push to <see cref="Group"/>.</summary>
    protected abstract Task PushAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (Volatile.Read(ref _open) <= 0)
            {
                continue;
            }

            try
            {
                await PushAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "{What} not pushed; pushed again in {Interval}", what, interval);
            }
        }
    }
}
