using System.Security.Cryptography;
using Aspire.Hosting.ApplicationModel;

namespace WarmTransfer.AppHost.Infrastructure;

internal static class LocalServerPassword
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// <summary>
    /// The password of a local server, kept beside its data: RabbitMQ sets its user's password only when
    /// its database is created, so data and password must live and die together. Letters and digits only,
    /// because it goes into a URI and StackExchange.Redis cannot read a comma.
    /// </summary>
    public static ParameterResource Create(IDistributedApplicationBuilder builder, string name, string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var file = Path.Combine(dataDirectory, ".password");
        if (!File.Exists(file))
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(file, options);
            using var writer = new StreamWriter(stream);
            writer.Write(RandomNumberGenerator.GetString(Alphabet, 32));
        }

        return builder.AddParameter(name, File.ReadAllText(file).Trim(), secret: true).Resource;
    }
}
