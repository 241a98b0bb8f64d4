using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;

namespace WarmTransfer.AgentPortal.Agents;

/// <summary>One agent: the id is also their Twilio client identity.</summary>
public sealed class AgentAccount
{
    [Required, RegularExpression("^[A-Za-z0-9_]{1,64}$")]
    public string Id { get; set; } = string.Empty;

    [Required]
    public string DisplayName { get; set; } = string.Empty;

    /// <summary><c>pbkdf2-sha256$iterations$salt$hash</c>, from <see cref="AgentPasswords.Hash"/>.</summary>
    [Required]
    public string PasswordHash { get; set; } = string.Empty;
}

/// <summary>The configured agents (section <c>Agents</c>). Production has none until they are configured.</summary>
public sealed class AgentDirectoryOptions
{
    public const string SectionName = "Agents";

    public List<AgentAccount> Directory { get; set; } = [];
}

public static class AgentPasswords
{
    private const int Iterations = 100_000;

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], out var iterations))
        {
            return false;
        }

        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
