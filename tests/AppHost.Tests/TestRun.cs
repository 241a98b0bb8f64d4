namespace WarmTransfer.AppHost.Tests;

/// <summary>Where the tests' AppHost runs keep their data, and how their processes are marked.</summary>
public static class TestRun
{
    /// <summary>Set on every resource's process, so a test can find each one (and its children) by environment.</summary>
    public const string MarkerVariable = "WARMTRANSFER_TEST_RUN";

    public static string NewDataDirectory() => AppHostLauncher.NewDataDirectory("warmtransfer-tests");
}
