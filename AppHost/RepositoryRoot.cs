namespace WarmTransfer.AppHost;

internal static class RepositoryRoot
{
    /// <summary>The folder holding WarmTransfer.sln, above the AppHost project.</summary>
    public static string Find(string appHostDirectory)
    {
        for (var directory = new DirectoryInfo(appHostDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "WarmTransfer.sln")))
            {
                return directory.FullName;
            }
        }

        return appHostDirectory;
    }
}
