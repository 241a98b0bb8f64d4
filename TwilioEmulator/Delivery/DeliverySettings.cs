namespace WarmTransfer.TwilioEmulator.Delivery;

/// <summary>
/// How status callbacks and conference events reach the application (<c>PUT /admin/delivery</c>). With every mode off,
/// the default, each call's and each conference's callbacks go out one at a time, in order. The modes combine:
/// <list type="bullet">
/// <item><see cref="Concurrent"/>: each callback is its own request after a random delay of 0…<see cref="MaxJitterMs"/>,
/// so callbacks of one call, of one conference and across the two streams overlap and arrive out of order;</item>
/// <item><see cref="Lossy"/>: a share (<see cref="DropRate"/>) is never delivered, and a failed connection is retried as
/// Twilio retries it (once by default; the <c>#rc</c>, <c>#rp</c>, <c>#ct</c>, <c>#rt</c>, <c>#tt</c> fragment of the URL
/// overrides it);</item>
/// <item><see cref="Duplicate"/>: a share (<see cref="DuplicateRate"/>) is delivered twice, the copy after a random delay.</item>
/// </list>
/// </summary>
public sealed record DeliverySettings(
    bool Concurrent = false,
    bool Lossy = false,
    bool Duplicate = false,
    int? Seed = null,
    int MaxJitterMs = DeliverySettings.DefaultMaxJitterMs,
    double DropRate = DeliverySettings.DefaultDropRate,
    double DuplicateRate = DeliverySettings.DefaultDuplicateRate)
{
    public const int DefaultMaxJitterMs = 300;
    public const double DefaultDropRate = 0.05;
    public const double DefaultDuplicateRate = 0.05;

    public static readonly DeliverySettings Ordered = new();

    public bool IsOrdered => !Concurrent && !Lossy && !Duplicate;

    /// <summary>Null when valid, otherwise what is wrong, in words for a problem body.</summary>
    public string? Problem() =>
        MaxJitterMs is < 0 or > 60_000 ? "maxJitterMs must be between 0 and 60000."
        : DropRate is < 0 or > 1 ? "dropRate must be between 0 and 1."
        : DuplicateRate is < 0 or > 1 ? "duplicateRate must be between 0 and 1."
        : null;
}
