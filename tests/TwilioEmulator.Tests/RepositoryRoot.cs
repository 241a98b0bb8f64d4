namespace WarmTransfer.TwilioEmulator.Tests;

public static class RepositoryRoot
{
    /// <summary>The folder holding WarmTransfer.sln, above the test's build output.</summary>
    public static string Find()
    {
        var start = AppContext.BaseDirectory;
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "WarmTransfer.sln")))
            {
                return directory.FullName;
            }
        }

        throw new FileNotFoundException($"No folder holding WarmTransfer.sln above '{start}'.", "WarmTransfer.sln");
    }
}
