using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Options;

namespace WarmTransfer.AgentPortal;

/// <summary>
/// The secret that encrypts the portal's data-protection key ring where it is stored (Redis): whoever reads Redis sees only
/// ciphertext and cannot forge a session cookie or an anti-forgery token.
/// </summary>
public sealed class KeyRingOptions
{
    public const string Section = "Portal:KeyRing";

    /// <summary>Shortest secret accepted: 32 characters of a generated secret carry well over 128 bits.</summary>
    public const int MinimumSecretLength = 32;

    /// <summary>The secret, from an Aspire secret parameter (or user secrets); the AES key is derived from it.</summary>
    public string Secret { get; set; } = string.Empty;

    /// <summary>The 256-bit AES key derived from <see cref="Secret"/>.</summary>
    public byte[] Key() => HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(Secret), 32,
        salt: [], info: "WarmTransfer.AgentPortal key ring"u8.ToArray());
}

/// <summary>Encrypts each data-protection key with AES-256-GCM before it is stored.</summary>
public sealed class KeyRingEncryptor(IOptions<KeyRingOptions> options) : IXmlEncryptor
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var sealedBytes = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(options.Value.Key(), TagSize);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize));
        var element = new XElement("encryptedKey",
            new XComment(" AES-256-GCM with the key from Portal:KeyRing:Secret "),
            new XElement("value", Convert.ToBase64String(sealedBytes)));
        return new EncryptedXmlInfo(element, typeof(KeyRingDecryptor));
    }

    /// <summary>Opens what <see cref="Encrypt"/> sealed; throws <see cref="CryptographicException"/> for another secret or altered bytes.</summary>
    internal static XElement Decrypt(XElement encryptedElement, byte[] key)
    {
        var sealedBytes = Convert.FromBase64String((string?)encryptedElement.Element("value")
            ?? throw new CryptographicException("The encrypted key has no value."));
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The encrypted key is too short.");
        }

        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), plaintext);
        return XElement.Parse(Encoding.UTF8.GetString(plaintext));
    }
}

/// <summary>Decrypts a stored key; data protection creates it by name with the service provider.</summary>
public sealed class KeyRingDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) =>
        KeyRingEncryptor.Decrypt(encryptedElement, services.GetRequiredService<IOptions<KeyRingOptions>>().Value.Key());
}
