namespace WarmTransfer.TwilioEmulator.Delivery;

/// <summary>
/// Every random choice the emulator makes (delivery delays, drops, duplicates, REST faults) comes from one generator,
/// so a run can be replayed with its seed. The seed is shown in <c>/admin/state</c>.
/// </summary>
public sealed class SeededRandom
{
    private readonly Lock _sync = new();
    private Random _random;

    public SeededRandom()
    {
        Seed = Random.Shared.Next();
        _random = new Random(Seed);
    }

    public int Seed { get; private set; }

    /// <summary>Starts the sequence again from <paramref name="seed"/>.</summary>
    public void Reseed(int seed)
    {
        lock (_sync)
        {
            Seed = seed;
            _random = new Random(seed);
        }
    }

    /// <summary>A number in [0, 1).</summary>
    public double NextDouble()
    {
        lock (_sync)
        {
            return _random.NextDouble();
        }
    }

    /// <summary>A whole number in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive)
    {
        lock (_sync)
        {
            return _random.Next(maxExclusive);
        }
    }
}
