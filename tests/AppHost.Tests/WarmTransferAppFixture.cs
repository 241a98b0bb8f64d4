using System.Diagnostics;

namespace WarmTransfer.AppHost.Tests;

/// <summary>One running AppHost shared by the tests of a collection; each test isolates itself.</summary>
public sealed class WarmTransferAppFixture : IAsyncLifetime
{
    private readonly string _dataDirectory = TestAppHost.NewDataDirectory();

    /// <summary>How long the portal's softphone tokens live in these tests.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromSeconds(20);

    public DistributedApplication App { get; private set; } = null!;


    /// <summary>From the start of the AppHost until every resource was healthy.</summary>
    public TimeSpan TimeToHealthy { get; private set; }

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TestAppHost.StartTimeout);
        var builder = await TestAppHost.CreateBuilderAsync(_dataDirectory, Guid.NewGuid().ToString("N"), timeout.Token);
        // Short-lived softphone tokens: every open page renews its token every few seconds while the tests run.
        builder.Resources.Single(r => r.Name == "agentportal").Annotations.Add(new EnvironmentCallbackAnnotation(context =>
        {
            context.EnvironmentVariables["Portal__TokenLifetime"] = TokenLifetime.ToString();
            return Task.CompletedTask;
        }));
        var stopwatch = Stopwatch.StartNew();
        App = await TestAppHost.StartHealthyAsync(builder, timeout.Token);
        TimeToHealthy = stopwatch.Elapsed;
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        TestAppHost.DeleteDataDirectory(_dataDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class WarmTransferAppCollection : ICollectionFixture<WarmTransferAppFixture>, ICollectionFixture<Browser.BrowserFixture>
{
    public const string Name = "WarmTransfer app";
}
