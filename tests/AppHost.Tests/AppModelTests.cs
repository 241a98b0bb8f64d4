using System.Diagnostics;

namespace WarmTransfer.AppHost.Tests;

/// <summary>The app model the AppHost builds, inspected without starting it.</summary>
public sealed class AppModelTests
{
    [Fact]
    public async Task Container_mode_runs_redis_and_rabbitmq_from_the_official_images()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--Infrastructure:Mode=containers"]);

        AssertOfficialImage(builder, "redis", "library/redis");
        AssertOfficialImage(builder, "rabbitmq", "library/rabbitmq");
    }

    [Fact]
    public async Task Local_mode_runs_redis_and_rabbitmq_as_local_executables_and_has_no_container()
    {
        var dataDirectory = TestRun.NewDataDirectory();
        try
        {
            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                ["--Infrastructure:Mode=local", $"--Infrastructure:DataDirectory={dataDirectory}"]);

            Assert.Empty(builder.Resources.OfType<ContainerResource>());
            var redis = Assert.IsAssignableFrom<ExecutableResource>(Resource(builder, "redis"));
            var rabbitmq = Assert.IsAssignableFrom<ExecutableResource>(Resource(builder, "rabbitmq"));
            Assert.IsAssignableFrom<IResourceWithConnectionString>(redis);
            Assert.IsAssignableFrom<IResourceWithConnectionString>(rabbitmq);
            Assert.EndsWith("rabbitmq-server", rabbitmq.Command);

            // Aspire allocates every port: nothing is fixed, so two apps or test runs cannot collide.
            Assert.All(
                new[] { redis, rabbitmq, Resource(builder, "rabbitmq-epmd") }.SelectMany(r => r.Annotations.OfType<EndpointAnnotation>()),
                endpoint => Assert.Null(endpoint.Port));
        }
        finally
        {
            AppHostLauncher.DeleteDataDirectory(dataDirectory);
        }
    }

    [Fact]
    public async Task With_a_twilio_account_configured_the_emulator_is_not_started()
    {
        var dataDirectory = TestRun.NewDataDirectory();
        try
        {
            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [
                "--Infrastructure:Mode=local", $"--Infrastructure:DataDirectory={dataDirectory}",
                "--Twilio:AccountSid=AC0123456789abcdef0123456789abcdef", "--Twilio:ApiKeySid=SK0123456789abcdef0123456789abcdef",
                "--Twilio:PhoneNumber=+15551234567", "--Twilio:WebhookBaseUrl=https://support.example.com",
                "--Parameters:twilio-auth-token=test-token", "--Parameters:twilio-api-key-secret=test-secret",
            ]);

            Assert.DoesNotContain(builder.Resources, resource => resource.Name == "twilio-emulator");
            var worker = Assert.IsAssignableFrom<ProjectResource>(Resource(builder, "dialerworker"));
            Assert.DoesNotContain(worker.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource.Name == "twilio-emulator");
            Assert.Contains(builder.Resources.OfType<ParameterResource>(), parameter => parameter.Name == "twilio-auth-token" && parameter.Secret);
        }
        finally
        {
            AppHostLauncher.DeleteDataDirectory(dataDirectory);
        }
    }

    [Fact]
    public async Task Without_a_twilio_account_the_emulator_runs_and_services_talk_to_it()
    {
        var dataDirectory = TestRun.NewDataDirectory();
        try
        {
            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                ["--Infrastructure:Mode=local", $"--Infrastructure:DataDirectory={dataDirectory}"]);

            Assert.Contains(builder.Resources, resource => resource.Name == "twilio-emulator");
            var worker = Assert.IsAssignableFrom<ProjectResource>(Resource(builder, "dialerworker"));
            Assert.Contains(worker.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource.Name == "twilio-emulator");
        }
        finally
        {
            AppHostLauncher.DeleteDataDirectory(dataDirectory);
        }
    }

    [Fact]
    public async Task Without_a_container_runtime_or_local_servers_the_apphost_stops_with_an_install_hint()
    {
        var appHost = typeof(Projects.AppHost).Assembly.Location;
        var startInfo = new ProcessStartInfo("dotnet",
        [
            appHost,
            "--Infrastructure:ContainerRuntime=no-such-container-runtime",
            "--Infrastructure:RedisServer=/nonexistent/redis-server",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(appHost),
        };

        using var process = Process.Start(startInfo)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, process.ExitCode);
        var message = (await stderr).Trim();
        Assert.Contains("no container runtime answered", message);
        Assert.Contains("'/nonexistent/redis-server' (package redis-server)", message);
        Assert.Contains("apt-get install redis-server rabbitmq-server", message);
        Assert.Single(message.Split('\n'));
        Assert.DoesNotContain("Distributed application starting", await stdout);
    }

    private static IResource Resource(IDistributedApplicationTestingBuilder builder, string name) =>
        builder.Resources.Single(resource => resource.Name == name);

    private static void AssertOfficialImage(IDistributedApplicationTestingBuilder builder, string name, string image)
    {
        var container = Assert.IsAssignableFrom<ContainerResource>(Resource(builder, name));
        var annotation = Assert.Single(container.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal("docker.io", annotation.Registry);
        Assert.Equal(image, annotation.Image);
    }
}
