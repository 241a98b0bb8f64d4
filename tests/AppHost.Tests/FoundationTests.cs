using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace WarmTransfer.AppHost.Tests;

[Collection(WarmTransferAppCollection.Name)]
public sealed class FoundationTests(WarmTransferAppFixture fixture)
{
    private static readonly string[] Services = ["WebhookApi", "DialerWorker", "AgentPortal"];

    [Fact]
    public async Task Every_resource_becomes_healthy_within_the_start_timeout()
    {
        var resources = AppHostLauncher.RunnableResources(fixture.App);

        Assert.Equal(
            ["agentportal", "dialerworker", "rabbitmq", "rabbitmq-epmd", "redis", "twilio-emulator", "webhookapi"],
            resources.Select(resource => resource.Name).Order());
        using var alreadyHealthy = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        foreach (var resource in resources)
        {
            var state = await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(resource.Name, alreadyHealthy.Token);
            Assert.Equal(HealthStatus.Healthy, state.Snapshot.HealthStatus);
        }

        Assert.InRange(fixture.TimeToHealthy, TimeSpan.Zero, AppHostLauncher.StartTimeout);
    }

    [Fact]
    public async Task Services_are_connected_to_the_redis_the_apphost_started()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("redis");
        var options = ConfigurationOptions.Parse(connectionString!);
        options.AllowAdmin = true;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);

        // A value written through one connection is read back through the server the services use.
        var key = $"tests:{Guid.NewGuid():N}";
        await redis.GetDatabase().StringSetAsync(key, "written by the test", TimeSpan.FromMinutes(1));
        var server = redis.GetServer(redis.GetEndPoints().Single());
        Assert.Equal("written by the test", (string?)await server.ExecuteAsync("GET", key));

        var clientNames = (await server.ClientListAsync()).Select(client => client.Name).ToHashSet();
        Assert.All(Services, service => Assert.Contains(service, clientNames));
    }

    [Fact]
    public async Task Services_declared_the_dial_queue_on_the_rabbitmq_the_apphost_started()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("rabbitmq");
        var factory = new ConnectionFactory { Uri = new Uri(connectionString!) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();

        // Passive declarations fail unless a service already declared these on this broker.
        await channel.ExchangeDeclarePassiveAsync("warmtransfer.dial");
        await channel.ExchangeDeclarePassiveAsync("warmtransfer.dial.dead-letter");
        await channel.QueueDeclarePassiveAsync("dial-requests");
        await channel.QueueDeclarePassiveAsync("dial-requests.dead-letter");
    }

    [Fact]
    public async Task Health_endpoints_answer_without_revealing_connection_strings()
    {
        var secrets = new[]
        {
            (await fixture.App.GetConnectionStringAsync("redis"))!.Split("password=")[1],
            new Uri((await fixture.App.GetConnectionStringAsync("rabbitmq"))!).UserInfo.Split(':')[1],
        };

        foreach (var service in new[] { "webhookapi", "dialerworker", "agentportal", "twilio-emulator" })
        {
            using var http = fixture.App.CreateHttpClient(service);
            foreach (var path in new[] { "/health", "/alive" })
            {
                using var response = await http.GetAsync(path);
                var body = await response.Content.ReadAsStringAsync();

                Assert.True(response.IsSuccessStatusCode, $"{service}{path} answered {(int)response.StatusCode}");
                Assert.Equal("Healthy", body);
                Assert.All(secrets, secret => Assert.DoesNotContain(secret, body));
            }
        }
    }

    [Fact]
    public async Task The_emulated_support_number_sends_its_calls_to_the_webhook_api()
    {
        using var emulator = fixture.App.CreateHttpClient("twilio-emulator");
        using var webhookApi = fixture.App.CreateHttpClient("webhookapi");

        using var placed = await emulator.PostAsJsonAsync("/admin/calls", new { from = "+15557650100" });
        placed.EnsureSuccessStatusCode();
        var sid = (await placed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sid").GetString();

        var voiceUrl = new Uri(webhookApi.BaseAddress!, "/voice/incoming").ToString();
        await Eventually.HoldsAsync(async () =>
        {
            var events = (await emulator.GetFromJsonAsync<JsonElement[]>("/admin/events"))!;
            return events.Any(e => e.GetProperty("kind").GetString() == "voice-webhook"
                && e.GetProperty("callSid").GetString() == sid
                && e.GetProperty("url").GetString() == voiceUrl
                && e.GetProperty("statusCode").GetInt32() == 200)
                ? null
                : $"no answered voice webhook to {voiceUrl} for {sid} among {events.Length} events";
        }, TimeSpan.FromSeconds(30));

        // The caller hangs up, so no later test finds them waiting for an agent.
        (await emulator.PostAsync($"/admin/calls/{sid}/hangup", null)).EnsureSuccessStatusCode();
    }
}
