using System.Security.Cryptography;
using Aspire.Hosting.ApplicationModel;

namespace WarmTransfer.AppHost.Infrastructure;

/// <summary>Secrets the AppHost makes up for its servers and services.</summary>
internal static class ServerSecret
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private const int Length = 32;

    /// <summary>
    /// A secret of a server's: with local servers, kept in a file only this user can read beside the server's data, because
    /// data and secret must live and die together (RabbitMQ sets its administrator's password only when its database is
    /// created; the portal's key ring in Redis is encrypted with one); with containers, a generated secret parameter that
    /// Aspire keeps in the AppHost's user secrets. Letters and digits only: it goes into URIs and connection strings, and
    /// StackExchange.Redis cannot read a comma.
    /// </summary>
    public static ParameterResource Create(IDistributedApplicationBuilder builder, InfrastructurePlan plan, string server, string name)
    {
        if (plan.LocalServers is null)
        {
            return builder.AddParameter(name, new GenerateParameterDefault { MinLength = Length, Special = false }, secret: true, persist: true)
                .Resource;
        }

        var folder = PrivateFolder.Create(Path.Combine(plan.DataDirectory, server));
        var file = Path.Combine(folder, name == $"{server}-password" ? ".password" : $".{name}");
        if (!File.Exists(file))
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(file, options);
            using var writer = new StreamWriter(stream);
            writer.Write(RandomNumberGenerator.GetString(Alphabet, Length));
        }

        return builder.AddParameter(name, File.ReadAllText(file).Trim(), secret: true).Resource;
    }
}
