using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using StackExchange.Redis;

namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// What each service may reach on Redis and RabbitMQ, tried with the connection strings the AppHost gives it, and what a
/// reader of the servers' data or files finds.
/// </summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed class ServerAccessTests(WarmTransferAppFixture fixture)
{
    private const string KeyRing = "wt:portal:data-protection-keys";

    [Fact]
    public async Task Only_the_portal_reaches_its_keys_in_redis_and_no_service_may_administer_it()
    {
        await using var worker = await ServiceRedisAsync("dialerworker");
        await using var webhooks = await ServiceRedisAsync("webhookapi");
        await using var portal = await ServiceRedisAsync("agentportal");

        Assert.NotEmpty(await portal.GetDatabase().ListRangeAsync(KeyRing));
        AssertRefused(await Assert.ThrowsAsync<RedisServerException>(() => worker.GetDatabase().ListRangeAsync(KeyRing)));
        AssertRefused(await Assert.ThrowsAsync<RedisServerException>(() => webhooks.GetDatabase().ListRightPushAsync(KeyRing, "<key />")));
        AssertRefused(await Assert.ThrowsAsync<RedisServerException>(() => webhooks.GetDatabase().StringGetAsync("wt:portal:session:any")));
        AssertRefused(await Assert.ThrowsAsync<RedisServerException>(() => worker.GetDatabase().ExecuteAsync("FLUSHALL")));
        AssertRefused(await Assert.ThrowsAsync<RedisServerException>(() => portal.GetDatabase().ExecuteAsync("CONFIG", "SET", "requirepass", "x")));

        // Every service works on a call's keys.
        var session = $"wt:session:{{test-{Guid.NewGuid():N}}}";
        Assert.True(await webhooks.GetDatabase().StringSetAsync(session, "written by the webhook", TimeSpan.FromMinutes(1)));
        Assert.Equal("written by the webhook", await worker.GetDatabase().StringGetAsync(session));
        Assert.True(await portal.GetDatabase().KeyDeleteAsync(session));
    }

    [Fact]
    public async Task The_portal_replicas_started_together_share_one_key_held_in_redis_only_encrypted()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis"))!);

        var keys = (await redis.GetDatabase().ListRangeAsync(KeyRing)).Select(key => key.ToString()).ToList();

        // A key of each replica's own would have one refuse the other's cookies once it stops reloading the ring.
        Assert.Single(keys);
        Assert.All(keys, key =>
        {
            Assert.DoesNotContain("<masterKey", key);
            Assert.Contains("<encryptedSecret", key);
            Assert.Contains("KeyRingDecryptor", key);
        });
    }

    [Fact]
    public async Task Each_service_consumes_only_its_own_queues()
    {
        await AssertConsumeRefusedAsync("webhookapi", "dial-requests");
        await AssertConsumeRefusedAsync("agentportal", "call-commands");
        await AssertConsumeRefusedAsync("dialerworker", "agent-updates");
        await AssertConsumeRefusedAsync("webhookapi", "dial-requests.dead-letter");
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Data_and_secret_files_are_readable_by_their_owner_only()
    {
        var loose = new[] { "redis", "rabbitmq" }
            .SelectMany(server => new DirectoryInfo(Path.Combine(fixture.DataDirectory, server))
                .EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            .Prepend(new DirectoryInfo(fixture.DataDirectory))
            .Where(entry => entry.LinkTarget is null && (entry.UnixFileMode & Others) != 0)
            .Select(entry => $"{entry.FullName} {entry.UnixFileMode}")
            .ToList();

        Assert.Empty(loose);
        Assert.True(File.Exists(Path.Combine(fixture.DataDirectory, "redis", "users.acl")));
        Assert.DoesNotContain(File.ReadAllText(Path.Combine(fixture.DataDirectory, "redis", ".redis-dialerworker-password")),
            File.ReadAllText(Path.Combine(fixture.DataDirectory, "redis", "users.acl")));
    }

    [Fact]
    public async Task No_secret_appears_in_any_process_arguments()
    {
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
        var secrets = new List<string>();
        foreach (var parameter in model.Resources.OfType<ParameterResource>().Where(parameter => parameter.Secret))
        {
            if (await parameter.GetValueAsync(CancellationToken.None) is { Length: > 0 } value)
            {
                secrets.Add(value);
            }
        }

        // Every process on the machine, not only the app's: a server may rewrite the environment that marks it as the app's.
        var processes = Directory.EnumerateDirectories("/proc")
            .Where(folder => int.TryParse(Path.GetFileName(folder), out _))
            .Select(folder => ReadArguments(Path.Combine(folder, "cmdline")))
            .ToList();

        Assert.Contains(secrets, secret => secret.Length >= 32);
        Assert.Contains(processes, arguments => arguments.Contains("redis-server", StringComparison.Ordinal));
        Assert.Contains(processes, arguments => arguments.Contains("beam.smp", StringComparison.Ordinal));
        Assert.All(processes, arguments => Assert.DoesNotContain(secrets, secret => arguments.Contains(secret, StringComparison.Ordinal)));
    }

    private static string ReadArguments(string path)
    {
        try
        {
            return File.ReadAllText(path).Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty; // the process ended meanwhile
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static void AssertRefused(RedisServerException exception) => Assert.StartsWith("NOPERM", exception.Message);

    private async Task AssertConsumeRefusedAsync(string service, string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(await ConnectionStringAsync(service, "rabbitmq")) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();

        var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.BasicGetAsync(queue, autoAck: false));

        Assert.Equal<ushort?>(403, refused.ShutdownReason?.ReplyCode);
    }

    private async Task<ConnectionMultiplexer> ServiceRedisAsync(string service) =>
        await ConnectionMultiplexer.ConnectAsync(await ConnectionStringAsync(service, "redis"));

    /// <summary>The connection string the AppHost gives the service: the server's address, the service's user and its own password.</summary>
    private async Task<string> ConnectionStringAsync(string service, string server)
    {
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
        var password = await model.Resources.OfType<ParameterResource>().Single(parameter => parameter.Name == $"{server}-{service}-password")
            .GetValueAsync(CancellationToken.None);
        var administrator = (await fixture.App.GetConnectionStringAsync(server))!;
        return server == "redis"
            ? $"{administrator.Split(',')[0]},user={service},password={password}"
            : new UriBuilder(administrator) { UserName = service, Password = password }.Uri.ToString();
    }
}
