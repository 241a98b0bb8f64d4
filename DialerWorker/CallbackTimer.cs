using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.Routing;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.DialerWorker;

/// <summary>
/// Every second, each missed callback whose wait is over goes back to the front of the line. The due times are in Redis, so
/// they outlive restarts; every replica sweeps, and the session's decision lets only the first one act.
/// </summary>
public sealed class CallbackTimer(SessionStore sessions, CallSessions calls, TimeProvider time, ILogger<CallbackTimer> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private const int Batch = 50;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                foreach (var sessionId in await sessions.DueCallbacksAsync(Batch))
                {
                    logger.LogInformation("The missed callback of {SessionId} is due: back to the front of the line", sessionId);
                    // Decided and stored: what it leads to is carried out even while the worker stops.
                    if (await calls.HandleAsync(sessionId, new SessionEvent.CallbackDue(), CancellationToken.None) is null)
                    {
                        await sessions.ForgetAsync(sessionId);
                    }
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "Due callbacks were not swept; they are again in {Interval}", Interval);
            }
        }
    }
}
