using Xunit;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("WarmTransfer.AppHost.Tests.CollectionOrder", "AppHost.Tests")]

namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// Orders the collections so that the two that run at once (xunit.runner.json) end together: the shared system's tests, the
/// longest, from the start; beside them first the tests whose systems start and wait in bursts (the lifecycle test's two
/// starts, the telemetry test's idle window), which leave the browser tests at the shared system's start the cores they need,
/// and last the benchmark smokes, which keep both cores busy for minutes.
/// </summary>
public sealed class CollectionOrder : ITestCollectionOrderer
{
    private static readonly string[] Order =
        [WarmTransferAppCollection.Name, nameof(LifecycleTests), nameof(TelemetryTests), nameof(ClusterTests), nameof(AppModelTests), nameof(BenchmarkSmokeTests)];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(Rank).ThenBy(collection => collection.DisplayName, StringComparer.Ordinal);

    private static int Rank(ITestCollection collection)
    {
        // A class without a collection of its own is in "Test collection for <its full name>".
        var rank = Array.FindIndex(Order, name => collection.DisplayName == name || collection.DisplayName.EndsWith($".{name}", StringComparison.Ordinal));
        return rank < 0 ? Order.Length : rank;
    }
}
