using Xunit;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("WarmTransfer.AppHost.Tests.LongestFirstCollections", "AppHost.Tests")]

namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// Starts the collections that run longest first, so the two that run at once (xunit.runner.json) end together: the shared
/// system's tests, then the benchmark smokes, then the lifecycle test's two starts, then the rest.
/// </summary>
public sealed class LongestFirstCollections : ITestCollectionOrderer
{
    private static readonly string[] Longest = [WarmTransferAppCollection.Name, nameof(BenchmarkSmokeTests), nameof(LifecycleTests)];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(Rank).ThenBy(collection => collection.DisplayName, StringComparer.Ordinal);

    private static int Rank(ITestCollection collection)
    {
        // A class without a collection of its own is in "Test collection for <its full name>".
        var rank = Array.FindIndex(Longest, name => collection.DisplayName == name || collection.DisplayName.EndsWith($".{name}", StringComparison.Ordinal));
        return rank < 0 ? Longest.Length : rank;
    }
}
