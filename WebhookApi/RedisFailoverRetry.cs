using WarmTransfer.CallCenter.State;

namespace WarmTransfer.WebhookApi;

/// <summary>
/// A webhook that meets Redis failing over (a primary lost until its replica is promoted: a few seconds of connection errors or
/// CLUSTERDOWN) is handled again after a short wait, until Redis answers or no try could end within <see cref="AnswerWithin"/>
/// of the first, which leaves the request's checks before and after it their time inside the 15 s Twilio waits for an answer.
/// Handling a webhook twice is safe: Twilio itself may deliver one twice.
/// </summary>
internal static class RedisFailoverRetry
{
    /// <summary>The longest WebhookApi waits for one Redis command (the client's own default is 5 s).</summary>
    public static readonly TimeSpan RedisTimeout = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan AnswerWithin = TimeSpan.FromSeconds(10);

    // A webhook's handling waits on Redis at most twice in a row (a write, then the read or claim that follows it).
    private static readonly TimeSpan LongestTry = 2 * RedisTimeout;

    private static readonly TimeSpan FirstWait = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Retries the endpoint while Redis fails over; past the time for it the failure stands (a 500), or, with
    /// <paramref name="stillFailing"/>, that answer is given instead.
    /// </summary>
    public static RouteHandlerBuilder RetriedWhileRedisFailsOver(this RouteHandlerBuilder endpoint, Func<EndpointFilterInvocationContext, object?>? stillFailing = null) =>
        endpoint.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var started = TimeProvider.System.GetTimestamp();
            var wait = FirstWait;
            var tries = 1;
            while (true)
            {
                try
                {
                    return await next(context);
                }
                catch (Exception exception) when (RedisFailover.IsPassing(exception) && !http.RequestAborted.IsCancellationRequested)
                {
                    var logger = http.RequestServices.GetRequiredService<ILogger<Program>>();
                    if (TimeProvider.System.GetElapsedTime(started) + wait + LongestTry > AnswerWithin)
                    {
                        if (stillFailing is null)
                        {
                            throw;
                        }

                        logger.LogError(exception, "{Path} failed {Tries} times in {Elapsed} while Redis failed over: answered to be asked again",
                            http.Request.Path, tries, TimeProvider.System.GetElapsedTime(started));
                        return stillFailing(context);
                    }

                    logger.LogWarning(exception, "{Path} failed while Redis fails over (try {Tries}); handled again in {Wait}", http.Request.Path, tries, wait);
                    await Task.Delay(wait, http.RequestAborted);
                    wait = wait * 2 < LongestWait ? wait * 2 : LongestWait;
                    tries++;
                }
            }
        });
}
