using System.Security.Cryptography;
using System.Text;

namespace WarmTransfer.CallCenter;

/// <summary>Agents' passwords as the portal's directory stores them: <c>pbkdf2-sha256$iterations$salt$hash</c>.</summary>
public static class AgentPasswords
{
    /// <summary>OWASP's recommendation for PBKDF2-HMAC-SHA256 (2023 onwards).</summary>
    public const int Iterations = 600_000;

    /// <summary>More than any hash this directory makes: a stored value beyond it is refused rather than computed.</summary>
    private const int MaxIterations = 10_000_000;

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>
    /// Whether the password matches the stored hash. A stored value that is not a well-formed hash (a broken directory entry)
    /// matches nothing: the sign-in fails, it does not throw.
    /// </summary>
    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], out var iterations) || iterations is < 1 or > MaxIterations)
        {
            return false;
        }

        var salt = new byte[parts[2].Length];
        var expected = new byte[parts[3].Length];
        if (!Convert.TryFromBase64String(parts[2], salt, out var saltLength) || !Convert.TryFromBase64String(parts[3], expected, out var hashLength)
            || saltLength == 0 || hashLength == 0)
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt.AsSpan(0, saltLength), iterations, HashAlgorithmName.SHA256, hashLength);
        return CryptographicOperations.FixedTimeEquals(actual, expected.AsSpan(0, hashLength));
    }

    /// <summary>Whether a stored hash is weaker than the ones made now: the portal hashes the password again after it matched.</summary>
    public static bool NeedsRehash(string stored) => IterationsOf(stored) < Iterations;

    /// <summary>
    /// After a failed check of <paramref name="stored"/>, spends what a check of a current hash costs beyond it: a wrong password
    /// takes as long against an old or broken directory entry as against an unknown agent id.
    /// </summary>
    public static void SpendUpToCurrentCost(string stored)
    {
        var spent = Math.Clamp(IterationsOf(stored), 0, Iterations);
        if (spent < Iterations)
        {
            Rfc2898DeriveBytes.Pbkdf2("-"u8, UnknownSalt.Value, Iterations - spent, HashAlgorithmName.SHA256, 32);
        }
    }

    private static int IterationsOf(string stored)
    {
        var parts = stored.Split('$');
        return parts.Length == 4 && int.TryParse(parts[1], out var iterations) ? iterations : 0;
    }

    /// <summary>
    /// Spends the time a real check takes, for a sign-in with an unknown agent id: how long the portal takes to refuse says
    /// nothing of which ids exist.
    /// </summary>
    public static void VerifyNothing(string password) => Verify(password, UnknownAgent.Value);

    private static readonly Lazy<byte[]> UnknownSalt = new(() => RandomNumberGenerator.GetBytes(16));

    private static readonly Lazy<string> UnknownAgent = new(() => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));
}
