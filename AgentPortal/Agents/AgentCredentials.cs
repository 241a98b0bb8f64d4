using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WarmTransfer.CallCenter;

namespace WarmTransfer.AgentPortal.Agents;

/// <summary>
/// Checks an agent's password against the directory. A directory hash weaker than the ones made now is replaced, after the
/// password matched it, by a new hash kept in Redis (the directory is configuration, not written by the portal); the new hash
/// stands only as long as the directory entry it replaced, so a password reset in the directory wins.
/// </summary>
public sealed class AgentCredentials(IOptionsMonitor<AgentDirectoryOptions> directory, IConnectionMultiplexer redis) : IDisposable
{
    private static readonly RedisKey Upgrades = "wt:portal:password-hashes";

    // A password check holds a core for a fraction of a second: at most half the cores do it at once and further sign-ins wait
    // their turn without holding a thread, so a burst of sign-ins cannot starve the portal's other work (its Redis replies).
    private readonly SemaphoreSlim _hashing = new(Math.Max(1, Environment.ProcessorCount / 2));

    /// <summary>The agent whose password this is, or null. Known and unknown ids cost the same work.</summary>
    public async Task<AgentAccount?> VerifyAsync(string agentId, string password)
    {
        var agent = directory.CurrentValue.Find(agentId);
        var upgrade = await redis.GetDatabase().HashGetAsync(Upgrades, agentId);
        string? rehashed = null;
        await _hashing.WaitAsync();
        try
        {
            if (agent is null || password.Length > SignInOptions.MaxPasswordLength)
            {
                AgentPasswords.VerifyNothing(password.Length > SignInOptions.MaxPasswordLength ? string.Empty : password);
                return null;
            }

            var stored = Upgraded(upgrade, agent.PasswordHash) ?? agent.PasswordHash;
            if (!AgentPasswords.Verify(password, stored))
            {
                AgentPasswords.SpendUpToCurrentCost(stored);
                return null;
            }

            if (AgentPasswords.NeedsRehash(stored))
            {
                rehashed = AgentPasswords.Hash(password);
            }
        }
        finally
        {
            _hashing.Release();
        }

        if (rehashed is not null)
        {
            await redis.GetDatabase().HashSetAsync(Upgrades, agentId, $"{Fingerprint(agent.PasswordHash)}|{rehashed}");
        }

        return agent;
    }

    public void Dispose() => _hashing.Dispose();

    private static string? Upgraded(RedisValue upgrade, string directoryHash) =>
        upgrade.HasValue && upgrade.ToString().Split('|') is [var fingerprint, var hash] && fingerprint == Fingerprint(directoryHash)
            ? hash
            : null;

    private static string Fingerprint(string directoryHash) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(directoryHash)), 0, 16);
}
