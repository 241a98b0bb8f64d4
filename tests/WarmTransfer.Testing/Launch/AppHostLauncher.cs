using System.Globalization;
using System.Reflection;
using System.Runtime.Versioning;
using Microsoft.Extensions.DependencyInjection;

namespace WarmTransfer.Testing;

/// <summary>
/// Every process of one run carries <c>{Variable}={Value}</c> in its environment (children inherit it), so a run can find
/// its own processes, and <see cref="AppHostLauncher.ResourceVariable"/> names the resource each belongs to.
/// </summary>
public sealed record RunMarker(string Variable, string Value)
{
    public static RunMarker New(string variable) => new(variable, Guid.NewGuid().ToString("N"));

    public override string ToString() => $"{Variable}={Value}";
}

/// <summary>
/// Starts the real AppHost as tests and benchmarks need it: local Redis and RabbitMQ in a data folder of the run's own, no
/// dashboard, every resource's process marked with the run.
/// </summary>
public static class AppHostLauncher
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Set on every resource's process: the resource's name.</summary>
    public const string ResourceVariable = "WARMTRANSFER_RESOURCE";

    /// <summary>A new folder under the temporary folder's <paramref name="purpose"/> (warmtransfer-tests, warmtransfer-bench).</summary>
    public static string NewDataDirectory(string purpose) =>
        Path.Combine(Path.GetTempPath(), purpose, Guid.NewGuid().ToString("N")[..12]);

    public static async Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(
        string dataDirectory, RunMarker marker, CancellationToken cancellationToken, params string[] args)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--Infrastructure:Mode=local", $"--Infrastructure:DataDirectory={dataDirectory}", .. args],
            (options, _) => options.DisableDashboard = true,
            cancellationToken);

        foreach (var resource in builder.Resources.OfType<IResourceWithEnvironment>())
        {
            resource.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
            {
                context.EnvironmentVariables[marker.Variable] = marker.Value;
                context.EnvironmentVariables[ResourceVariable] = resource.Name;
                return Task.CompletedTask;
            }));
        }

        foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
        {
            RunBuiltAssembly(builder.CreateResourceBuilder(project));
        }

        return builder;
    }

    /// <summary>
    /// Runs the project's built assembly with <c>dotnet exec</c> rather than <c>dotnet run</c>: the same program, environment
    /// and working folder, without evaluating the project again for every process of every start.
    /// </summary>
    private static void RunBuiltAssembly(IResourceBuilder<ProjectResource> project)
    {
        var projectPath = project.Resource.GetProjectMetadata().ProjectPath;
        var assembly = Path.Combine(Path.GetDirectoryName(projectPath)!, "bin", BuildConfiguration, TargetFramework,
            Path.GetFileNameWithoutExtension(projectPath) + ".dll");
        if (!File.Exists(assembly))
        {
            throw new InvalidOperationException($"{project.Resource.Name} is not built: {assembly} is missing; run 'dotnet build WarmTransfer.sln'.");
        }

#pragma warning disable ASPIREEXTENSION001 // The launch tool arguments are the supported way to choose how a project's process starts.
        project.WithLaunchToolArgs(context =>
        {
            context.Args.Add("exec");
            context.Args.Add(assembly);
        }, showInCommandLine: false);
#pragma warning restore ASPIREEXTENSION001
    }

    /// <summary>The configuration the solution was built in (the services are built with the tests).</summary>
    private static string BuildConfiguration =>
        typeof(AppHostLauncher).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>net10.0 for .NETCoreApp,Version=v10.0.</summary>
    private static string TargetFramework =>
        "net" + new FrameworkName(typeof(AppHostLauncher).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()!.FrameworkName).Version.ToString(2);

    /// <summary>Sets one environment variable of a resource, after the AppHost's own.</summary>
    public static void SetEnvironment(IDistributedApplicationTestingBuilder builder, string resource, string name, string value) =>
        builder.Resources.Single(r => r.Name == resource).Annotations.Add(new EnvironmentCallbackAnnotation(context =>
        {
            context.EnvironmentVariables[name] = value;
            return Task.CompletedTask;
        }));

    /// <summary>Adds agents to the portal's directory, from entry <paramref name="firstEntry"/> (after the development agents).</summary>
    /// <param name="displayName">The display name of the agent at a 0-based index.</param>
    /// <param name="wrapUpSeconds">The wrap-up of the agent at a 0-based index.</param>
    public static void AddPortalAgents(
        IDistributedApplicationTestingBuilder builder, IReadOnlyList<string> agentIds, Func<int, string> displayName, string passwordHash,
        Func<int, int> wrapUpSeconds, int firstEntry = DevelopmentAgents) =>
        builder.Resources.Single(r => r.Name == "agentportal").Annotations.Add(new EnvironmentCallbackAnnotation(context =>
        {
            for (var i = 0; i < agentIds.Count; i++)
            {
                var entry = (firstEntry + i).ToString(CultureInfo.InvariantCulture);
                context.EnvironmentVariables[$"Agents__Directory__{entry}__Id"] = agentIds[i];
                context.EnvironmentVariables[$"Agents__Directory__{entry}__DisplayName"] = displayName(i);
                context.EnvironmentVariables[$"Agents__Directory__{entry}__PasswordHash"] = passwordHash;
                context.EnvironmentVariables[$"Agents__Directory__{entry}__WrapUpSeconds"] = wrapUpSeconds(i).ToString(CultureInfo.InvariantCulture);
            }

            return Task.CompletedTask;
        }));

    /// <summary>The development agents (agent1–agent3 and the supervisor super1, the first entries of the portal's directory).</summary>
    public const int DevelopmentAgents = 4;

    /// <summary>Gives the development agents this wrap-up after each call (0: none).</summary>
    public static void SetDevelopmentAgentsWrapUp(IDistributedApplicationTestingBuilder builder, int seconds)
    {
        for (var entry = 0; entry < DevelopmentAgents; entry++)
        {
            SetEnvironment(builder, "agentportal", $"Agents__Directory__{entry}__WrapUpSeconds", seconds.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Builds and starts the app, then waits until every resource that runs at start reports healthy.</summary>
    public static async Task<DistributedApplication> StartHealthyAsync(
        IDistributedApplicationTestingBuilder builder, CancellationToken cancellationToken)
    {
        var app = await builder.BuildAsync(cancellationToken);
        try
        {
            await app.StartAsync(cancellationToken);
            await Task.WhenAll(RunnableResources(app).Select(resource =>
                app.ResourceNotifications.WaitForResourceHealthyAsync(resource.Name, cancellationToken)));
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Every resource that runs a process when the app starts: servers, services and the emulator (not the hidden,
    /// on-demand project rebuilders, nor a resource held back for an explicit start).
    /// </summary>
    public static IReadOnlyList<IResource> RunnableResources(DistributedApplication app) =>
        app.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(resource => resource is ExecutableResource or ProjectResource or ContainerResource)
            .Where(resource => !resource.TryGetAnnotationsOfType<ExplicitStartupAnnotation>(out _))
            .ToList();

    /// <summary>The auth token the emulator signs webhooks with and WebhookApi checks.</summary>
    public static async Task<string> AuthTokenAsync(DistributedApplication app, CancellationToken cancellationToken = default)
    {
        var parameter = app.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ParameterResource>().Single(p => p.Name == "twilio-auth-token");
        return (await parameter.GetValueAsync(cancellationToken))!;
    }

    /// <summary>The base address of a resource's HTTP endpoint.</summary>
    public static Uri Endpoint(DistributedApplication app, string resource)
    {
        using var http = app.CreateHttpClient(resource);
        return http.BaseAddress!;
    }

    /// <summary>Every process, children included, that inherited the run's marker.</summary>
    public static List<(int Pid, string CommandLine)> ProcessesOf(RunMarker marker)
    {
        var wanted = $"{marker}\0";
        var found = new List<(int, string)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "environ")).Contains(wanted, StringComparison.Ordinal))
                {
                    found.Add((pid, File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').Trim()));
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked, or is not ours to read.
            }
        }

        return found;
    }

    public static void DeleteDataDirectory(string dataDirectory)
    {
        if (Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
