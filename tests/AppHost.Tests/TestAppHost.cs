using Microsoft.Extensions.DependencyInjection;

namespace WarmTransfer.AppHost.Tests;

/// <summary>Starts the real AppHost, with local Redis and RabbitMQ in a data folder of the test's own.</summary>
public static class TestAppHost
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Set on every resource's process, so a test can find each one (and its children) by environment.</summary>
    public const string RunMarkerVariable = "WARMTRANSFER_TEST_RUN";

    public static string NewDataDirectory() =>
        Path.Combine(Path.GetTempPath(), "warmtransfer-tests", Guid.NewGuid().ToString("N")[..12]);

    public static async Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(
        string dataDirectory, string runMarker, CancellationToken cancellationToken, params string[] args)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--Infrastructure:Mode=local", $"--Infrastructure:DataDirectory={dataDirectory}", .. args],
            (options, _) => options.DisableDashboard = true,
            cancellationToken);

        foreach (var resource in builder.Resources.OfType<IResourceWithEnvironment>())
        {
            resource.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
            {
                context.EnvironmentVariables[RunMarkerVariable] = runMarker;
                return Task.CompletedTask;
            }));
        }

        return builder;
    }

    /// <summary>Builds and starts the app, then waits until every resource reports healthy.</summary>
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
    /// Every resource that runs a process when the app starts: servers, services and the emulator
    /// (not the hidden, on-demand project rebuilders).
    /// </summary>
    public static IReadOnlyList<IResource> RunnableResources(DistributedApplication app) =>
        app.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(resource => resource is ExecutableResource or ProjectResource or ContainerResource)
            .Where(resource => !resource.TryGetAnnotationsOfType<ExplicitStartupAnnotation>(out _))
            .ToList();

    /// <summary>Every process, children included, that inherited this run's marker.</summary>
    public static List<(int Pid, string CommandLine)> ProcessesOf(string runMarker)
    {
        var marker = $"{RunMarkerVariable}={runMarker}\0";
        var found = new List<(int, string)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "environ")).Contains(marker, StringComparison.Ordinal))
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
