using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace WarmTransfer.AgentPortal;

/// <summary>
/// Gives the shared key ring its first key as the portal starts, one replica at a time (a Redis lock): only a replica that finds
/// no usable key creates one, before data protection reads the ring. Left to data protection, replicas starting together each
/// made a first key of their own, and each kept reading the ring it had cached: two minutes after the start (when data protection
/// stops reloading the ring for a key it does not know) a cookie one replica sealed was refused by the other, and an agent just
/// signed in was answered 401 by the hub.
/// </summary>
public sealed class FirstKey(
    IKeyManager keys, IOptions<KeyManagementOptions> options, IConnectionMultiplexer redis, TimeProvider time, ILogger<FirstKey> logger) : IHostedService
{
    private static readonly RedisKey Lock = "wt:portal:data-protection-lock";
    private static readonly TimeSpan LockLifetime = TimeSpan.FromSeconds(30);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var database = redis.GetDatabase();
        var owner = Guid.NewGuid().ToString("N");
        var waited = time.GetTimestamp();
        while (!await database.LockTakeAsync(Lock, owner, LockLifetime))
        {
            if (time.GetElapsedTime(waited) > LockLifetime)
            {
                // The holder died with the lock: it expires by itself, and one more replica's key is harmless once stored.
                logger.LogWarning("The key ring's lock was not free within {Wait}: its first key is checked without it", LockLifetime);
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }

        try
        {
            var now = time.GetUtcNow();
            if (!keys.GetAllKeys().Any(key => !key.IsRevoked && key.ExpirationDate > now))
            {
                var key = keys.CreateNewKey(activationDate: now, expirationDate: now + options.Value.NewKeyLifetime);
                logger.LogInformation("Created the key ring's first key {KeyId}, valid until {Expiration}", key.KeyId, key.ExpirationDate);
            }
        }
        finally
        {
            await database.LockReleaseAsync(Lock, owner);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
