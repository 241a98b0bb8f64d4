namespace WarmTransfer.AppHost.Infrastructure;

/// <summary>Folders of data and secrets only the user running the app may enter: 0700, every file in them 0600.</summary>
internal static class PrivateFolder
{
    private const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates the folder 0700, or closes an existing one and everything in it (files a server wrote earlier with a looser mode).</summary>
    public static string Create(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return path;
        }

        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, Folder);
            return path;
        }

        Close(new DirectoryInfo(path));
        return path;
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Close(DirectoryInfo folder)
    {
        folder.UnixFileMode = Folder;
        foreach (var entry in folder.EnumerateFileSystemInfos())
        {
            switch (entry)
            {
                case DirectoryInfo { LinkTarget: null } child:
                    Close(child);
                    break;
                case FileInfo { LinkTarget: null } file when (file.UnixFileMode & Others) != 0:
                    file.UnixFileMode &= ~Others;
                    break;
            }
        }
    }
}
