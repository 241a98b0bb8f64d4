using System.Security.Cryptography;

namespace WarmTransfer.TwilioEmulator.Model;

public static class Sids
{
    /// <summary>A Twilio sid: two-letter prefix and 32 lowercase hex digits.</summary>
    public static string New(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}

public static class Rfc2822
{
    /// <summary>Twilio's date format: <c>Tue, 31 Aug 2010 20:36:28 +0000</c>.</summary>
    public static string Format(DateTimeOffset? value) =>
        value?.UtcDateTime.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
}
