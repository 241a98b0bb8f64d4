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
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
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
            // Both start through the same scripts as in containers, which write their users' files before the server runs.
            Assert.Equal("/bin/sh", redis.Command);
            Assert.Equal("/bin/sh", rabbitmq.Command);

            // The data folder and each server's are the user's alone, and so are the secrets kept in them.
            var modes = new[] { dataDirectory, Path.Combine(dataDirectory, "redis"), Path.Combine(dataDirectory, "rabbitmq") }
                .Select(File.GetUnixFileMode);
            Assert.All(modes, mode => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, mode));
            Assert.All(Directory.GetFiles(dataDirectory, ".*password", SearchOption.AllDirectories),
                file => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file)));

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
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Cluster_mode_runs_six_local_redis_nodes_joined_by_the_redis_resource_on_ports_aspire_allocates()
    {
        var dataDirectory = TestRun.NewDataDirectory();
        try
        {
            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                ["--Infrastructure:Redis=cluster", $"--Infrastructure:DataDirectory={dataDirectory}"]);

            var nodes = Enumerable.Range(1, 6).Select(i => Assert.IsAssignableFrom<ExecutableResource>(Resource(builder, $"redis-{i}"))).ToList();
            var redis = Assert.IsAssignableFrom<ExecutableResource>(Resource(builder, "redis"));
            Assert.IsAssignableFrom<IResourceWithConnectionString>(redis);
            Assert.DoesNotContain(builder.Resources.OfType<ContainerResource>(), resource => resource.Name.StartsWith("redis", StringComparison.Ordinal));
            // Each node a client port and a cluster bus port, none fixed; the services wait for the joined cluster, not a node.
            Assert.All(nodes, node => Assert.Equal(["bus", "tcp"], node.Annotations.OfType<EndpointAnnotation>().Select(e => e.Name).Order()));
            Assert.All(nodes.SelectMany(node => node.Annotations.OfType<EndpointAnnotation>()), endpoint => Assert.Null(endpoint.Port));
            var waits = Resource(builder, "webhookapi").Annotations.OfType<WaitAnnotation>().Select(wait => wait.Resource.Name).ToList();
            Assert.Contains("redis", waits);
            Assert.DoesNotContain(waits, name => name.StartsWith("redis-", StringComparison.Ordinal));
        }
        finally
        {
            AppHostLauncher.DeleteDataDirectory(dataDirectory);
        }
    }

    [Fact]
    public async Task Rabbitmq_cluster_mode_runs_three_local_nodes_joined_by_the_rabbitmq_resource_and_services_know_every_node()
    {
        var dataDirectory = TestRun.NewDataDirectory();
        try
        {
            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                ["--Infrastructure:RabbitMQ=cluster", $"--Infrastructure:DataDirectory={dataDirectory}"]);

            var nodes = Enumerable.Range(1, 3).Select(i => Assert.IsAssignableFrom<ExecutableResource>(Resource(builder, $"rabbitmq-{i}"))).ToList();
            var rabbitmq = Assert.IsAssignableFrom<ExecutableResource>(Resource(builder, "rabbitmq"));
            Assert.IsAssignableFrom<IResourceWithConnectionString>(rabbitmq);
            // One epmd for the three nodes; each node an AMQP port and a distribution port, none fixed.
            Assert.Single(builder.Resources, resource => resource.Name.StartsWith("rabbitmq", StringComparison.Ordinal) && resource.Name.EndsWith("-epmd", StringComparison.Ordinal));
            Assert.All(nodes, node => Assert.Equal(["dist", "tcp"], node.Annotations.OfType<EndpointAnnotation>().Select(e => e.Name).Order()));
            Assert.All(nodes.SelectMany(node => node.Annotations.OfType<EndpointAnnotation>()), endpoint => Assert.Null(endpoint.Port));
            var waits = Resource(builder, "dialerworker").Annotations.OfType<WaitAnnotation>().Select(wait => wait.Resource.Name).ToList();
            Assert.Contains("rabbitmq", waits);
            Assert.DoesNotContain(waits, name => name.StartsWith("rabbitmq-", StringComparison.Ordinal));

            // The connection string names every node.
            var uris = ((IResourceWithConnectionString)rabbitmq).ConnectionStringExpression.ValueExpression.Split(',');
            Assert.Equal(Enumerable.Range(1, 3).Select(i => $"rabbitmq-{i}"), uris.Select(uri => uri[(uri.IndexOf('@') + 2)..uri.IndexOf('.', uri.IndexOf('@'))]));
        }
        finally
        {
            AppHostLauncher.DeleteDataDirectory(dataDirectory);
        }
    }

    [Theory]
    [InlineData("--Infrastructure:Mode=local")]
    [InlineData("--Infrastructure:Mode=containers")]
    [InlineData("--Infrastructure:Redis=cluster")]
    [InlineData("--Infrastructure:RabbitMQ=cluster")]
    public async Task The_manifest_publishes_in_every_mode_with_redis_and_rabbitmq_as_official_images(string mode)
    {
        var resources = await PublishManifestAsync([mode]);

        Assert.Equal(("container.v0", "container.v0"), (resources["redis"].Type, resources["rabbitmq"].Type));
        Assert.DoesNotContain(resources.Keys, name => name.StartsWith("redis-", StringComparison.Ordinal) && !name.EndsWith("-password", StringComparison.Ordinal));
        Assert.DoesNotContain(resources.Keys, name => name.StartsWith("rabbitmq-", StringComparison.Ordinal) && !name.Contains("-password", StringComparison.Ordinal));
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
        var (exitCode, stdout, stderr) = await RunAppHostAsync(
            "--Infrastructure:ContainerRuntime=no-such-container-runtime", "--Infrastructure:RedisServer=/nonexistent/redis-server");

        Assert.Equal(1, exitCode);
        Assert.Contains("no container runtime answered", stderr);
        Assert.Contains("'/nonexistent/redis-server' (package redis-server)", stderr);
        Assert.Contains("apt-get install redis-server rabbitmq-server", stderr);
        Assert.Single(stderr.Split('\n'));
        Assert.DoesNotContain("Distributed application starting", stdout);
    }

    [Theory]
    [InlineData(new[] { "--Twilio:AccountSid=AC0123456789abcdef0123456789abcdef" },
        new[] { "Twilio:ApiKeySid", "Twilio:PhoneNumber", "Twilio:WebhookBaseUrl", "Parameters:twilio-auth-token", "Parameters:twilio-api-key-secret" })]
    [InlineData(new[] { "--Twilio:ApiKeySid=SK0123456789abcdef0123456789abcdef", "--Parameters:twilio-api-key-secret=secret" },
        new[] { "Twilio:AccountSid", "Twilio:PhoneNumber", "Twilio:WebhookBaseUrl", "Parameters:twilio-auth-token" })]
    public async Task Partly_configured_twilio_settings_stop_the_apphost_naming_what_is_missing(string[] settings, string[] missing)
    {
        var (exitCode, stdout, stderr) = await RunAppHostAsync(settings);

        Assert.Equal(1, exitCode);
        Assert.All(missing, key => Assert.Contains(key, stderr));
        Assert.DoesNotContain("secret", stderr.Replace("twilio-api-key-secret", string.Empty).Replace("user-secrets", string.Empty));
        Assert.DoesNotContain("Distributed application starting", stdout);
    }

    [Fact]
    public async Task A_replica_count_that_cannot_run_stops_the_apphost_naming_the_setting()
    {
        var (exitCode, stdout, stderr) = await RunAppHostAsync("--Replicas:DialerWorker=0");

        Assert.Equal(1, exitCode);
        Assert.Contains("Replicas:DialerWorker is '0': give a whole number of replicas from 1 to 50.", stderr);
        Assert.DoesNotContain("Distributed application starting", stdout);
    }

    [Fact]
    public async Task Replicas_of_each_service_are_set_by_the_replicas_section()
    {
        var dataDirectory = TestRun.NewDataDirectory();
        try
        {
            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                ["--Infrastructure:Mode=local", $"--Infrastructure:DataDirectory={dataDirectory}", "--Replicas:WebhookApi=3", "--Replicas:AgentPortal=4"]);

            int Replicas(string name) => Resource(builder, name).Annotations.OfType<ReplicaAnnotation>().Single().Replicas;
            Assert.Equal((3, 2, 4), (Replicas("webhookapi"), Replicas("dialerworker"), Replicas("agentportal")));
        }
        finally
        {
            AppHostLauncher.DeleteDataDirectory(dataDirectory);
        }
    }

    [Fact]
    public async Task A_twilio_webhook_address_that_is_not_https_stops_the_apphost()
    {
        var (exitCode, _, stderr) = await RunAppHostAsync([.. TwilioAccount(), "--Twilio:WebhookBaseUrl=http://support.example.com"]);

        Assert.Equal(1, exitCode);
        Assert.Contains("Twilio:WebhookBaseUrl must be the public https address", stderr);
    }

    [Fact]
    public async Task The_published_manifest_with_a_twilio_account_has_no_emulator_no_development_agents_and_one_secret_per_service()
    {
        var resources = await PublishManifestAsync(TwilioAccount());

        Assert.DoesNotContain("twilio-emulator", resources.Select(resource => resource.Key));
        Assert.All(resources.Where(resource => resource.Value.Type == "project.v0"), resource =>
        {
            Assert.DoesNotContain("Twilio__ApiBaseUrl", resource.Value.Env.Keys);
            Assert.DoesNotContain(resource.Value.Env.Keys, key => key.StartsWith("Agents__", StringComparison.Ordinal));
        });
        AssertSecrets(resources["webhookapi"], authToken: true, apiKeySecret: false);
        AssertSecrets(resources["dialerworker"], authToken: false, apiKeySecret: true);
        AssertSecrets(resources["agentportal"], authToken: false, apiKeySecret: true);
        Assert.Equal("container.v0", resources["redis"].Type);
        AssertOwnServerLogins(resources);
    }

    [Fact]
    public async Task With_the_emulator_only_the_emulator_holds_both_secrets_and_the_portal_has_the_development_agents()
    {
        var resources = await PublishManifestAsync([]);

        AssertSecrets(resources["twilio-emulator"], authToken: true, apiKeySecret: true);
        AssertSecrets(resources["webhookapi"], authToken: true, apiKeySecret: false);
        AssertSecrets(resources["dialerworker"], authToken: false, apiKeySecret: true);
        AssertSecrets(resources["agentportal"], authToken: false, apiKeySecret: true);
        Assert.Equal("agent1", resources["agentportal"].Env["Agents__Directory__0__Id"]);
    }

    private static string[] TwilioAccount() =>
    [
        "--Twilio:AccountSid=AC0123456789abcdef0123456789abcdef", "--Twilio:ApiKeySid=SK0123456789abcdef0123456789abcdef",
        "--Twilio:PhoneNumber=+15551234567", "--Twilio:WebhookBaseUrl=https://support.example.com",
        "--Parameters:twilio-auth-token=test-token", "--Parameters:twilio-api-key-secret=test-secret",
    ];

    private static void AssertSecrets(ManifestResource resource, bool authToken, bool apiKeySecret)
    {
        Assert.Equal(authToken, resource.Env.ContainsKey("Twilio__AuthToken"));
        Assert.Equal(apiKeySecret, resource.Env.ContainsKey("Twilio__ApiKeySecret"));
    }

    /// <summary>Each service connects to Redis and RabbitMQ as its own user with its own password; only the portal holds the key-ring secret.</summary>
    private static void AssertOwnServerLogins(Dictionary<string, ManifestResource> resources)
    {
        string[] services = ["webhookapi", "dialerworker", "agentportal"];
        foreach (var service in services)
        {
            var env = resources[service].Env;
            Assert.Contains($"user={service},password={{redis-{service}-password.value}}", env["ConnectionStrings__redis"]);
            Assert.StartsWith($"amqp://{service}:{{rabbitmq-{service}-password.value}}@", env["ConnectionStrings__rabbitmq"]);
            var others = services.Where(other => other != service).SelectMany(other => new[] { $"redis-{other}-password", $"rabbitmq-{other}-password" });
            Assert.All(others, other => Assert.DoesNotContain(env.Values, value => value.Contains(other, StringComparison.Ordinal)));
            Assert.DoesNotContain(env.Values, value => value.Contains("{redis-password", StringComparison.Ordinal)
                || value.Contains("{rabbitmq-password", StringComparison.Ordinal));
            Assert.Equal(service == "agentportal", env.ContainsKey("Portal__KeyRing__Secret"));
        }
    }

    private sealed record ManifestResource(string Type, Dictionary<string, string> Env);

    /// <summary>The AppHost's Aspire manifest, as <c>--publisher manifest</c> writes it.</summary>
    private static async Task<Dictionary<string, ManifestResource>> PublishManifestAsync(string[] settings)
    {
        var output = Path.Combine(Path.GetTempPath(), $"warmtransfer-manifest-{Guid.NewGuid():N}.json");
        try
        {
            var (exitCode, stdout, stderr) = await RunAppHostAsync(["--publisher", "manifest", "--output-path", output, .. settings]);
            Assert.True(exitCode == 0, $"The publish failed ({exitCode}): {stdout} {stderr}");
            var manifest = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(output))!["resources"]!.AsObject();
            return manifest.ToDictionary(resource => resource.Key, resource => new ManifestResource(
                resource.Value!["type"]!.GetValue<string>(),
                resource.Value["env"]?.AsObject().ToDictionary(env => env.Key, env => env.Value!.ToString()) ?? []));
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>Runs the built AppHost as a user would, until it exits by itself (within a minute).</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAppHostAsync(params string[] arguments)
    {
        var appHost = typeof(Projects.AppHost).Assembly.Location;
        var startInfo = new ProcessStartInfo("dotnet", [appHost, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(appHost),
        };

        using var process = Process.Start(startInfo)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, (await stderr).Trim());
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
