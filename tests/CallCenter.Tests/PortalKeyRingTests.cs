using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;
using WarmTransfer.AgentPortal;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>Portal replicas that start together share one data-protection key in Redis, so each reads what another sealed.</summary>
public sealed class PortalKeyRingTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private const string KeyRing = "wt:portal:data-protection-keys";

    [Fact]
    public async Task Replicas_starting_together_make_one_first_key_and_read_each_others_cookies()
    {
        await redis.Connection.GetDatabase().KeyDeleteAsync(KeyRing);
        var replicas = Enumerable.Range(0, 4).Select(_ => Replica()).ToList();
        try
        {
            await Task.WhenAll(replicas.Select(replica => Task.Run(() => replica.StartAsync())));

            Assert.Equal(1, await redis.Connection.GetDatabase().ListLengthAsync(KeyRing));
            var sealedBy = replicas.Select(replica => Protector(replica).Protect("agent session")).ToList();
            Assert.All(replicas, replica => Assert.All(sealedBy, payload => Assert.Equal("agent session", Protector(replica).Unprotect(payload))));
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.StopAsync();
                replica.Dispose();
            }
        }
    }

    private IHost Replica()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [$"{KeyRingOptions.Section}:Secret"] = new string('k', 40) });
        builder.Services.AddSingleton(redis.Connection);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddSharedDataProtection();
        return builder.Build();
    }

    private static IDataProtector Protector(IHost replica) =>
        replica.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("cookie");
}
