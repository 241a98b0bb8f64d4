namespace WarmTransfer.CallCenter.Tests;

/// <summary>Agents' password hashes: the right password matches, anything else — a broken stored value included — does not, and nothing throws.</summary>
public sealed class AgentPasswordsTests
{
    [Fact]
    public void The_password_matches_its_hash_and_another_does_not()
    {
        var stored = AgentPasswords.Hash("correct horse");

        Assert.True(AgentPasswords.Verify("correct horse", stored));
        Assert.False(AgentPasswords.Verify("correct horse!", stored));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain-text-password")]
    [InlineData("pbkdf2-sha256$100000$salt")]
    [InlineData("md5$100000$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$many$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$0$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$-5$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$2000000000$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$1000$not base64!$aGFzaA==")]
    [InlineData("pbkdf2-sha256$1000$c2FsdA==$not base64!")]
    [InlineData("pbkdf2-sha256$1000$$aGFzaA==")]
    [InlineData("pbkdf2-sha256$1000$c2FsdA==$")]
    public void A_malformed_stored_hash_matches_nothing_and_does_not_throw(string stored) =>
        Assert.False(AgentPasswords.Verify("any password", stored));

    [Fact]
    public void A_new_hash_uses_the_current_iteration_count_and_an_older_one_asks_to_be_replaced()
    {
        var stored = AgentPasswords.Hash("correct horse");

        Assert.StartsWith("pbkdf2-sha256$600000$", stored);
        Assert.False(AgentPasswords.NeedsRehash(stored));
        Assert.True(AgentPasswords.NeedsRehash("pbkdf2-sha256$100000$yza6CwY3uIhNd10C7wPlew==$SG3WnCfK74S5C6zD0PhUMGwThZoHTYGYT6pITjuBr1g="));
    }
}
