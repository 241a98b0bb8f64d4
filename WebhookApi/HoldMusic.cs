using WarmTransfer.CallCenter.Telephony;

namespace WarmTransfer.WebhookApi;

/// <summary>Hold music served by the project: a soft, repeating chord progression rendered as a WAV at start.</summary>
public static class HoldMusic
{
    private const double SecondsPerChord = 2.0;

    private static readonly double[][] Chords = [[261.63, 329.63, 392.00], [220.00, 261.63, 329.63], [174.61, 220.00, 261.63], [196.00, 246.94, 293.66]];

    private static readonly Lazy<byte[]> Wav = new(Render);

    /// <summary>How long the music plays once.</summary>
    public static readonly TimeSpan Length = TimeSpan.FromSeconds(SecondsPerChord * Chords.Length);

    public static IEndpointRouteBuilder MapHoldMusic(this IEndpointRouteBuilder app)
    {
        app.MapGet(WebhookPaths.HoldMusic, () => TypedResults.Bytes(Wav.Value, "audio/wav"));
        return app;
    }

    private static byte[] Render()
    {
        const int sampleRate = 8000;
        var samplesPerChord = (int)(sampleRate * SecondsPerChord);
        var samples = new short[samplesPerChord * Chords.Length];
        for (var chord = 0; chord < Chords.Length; chord++)
        {
            for (var i = 0; i < samplesPerChord; i++)
            {
                var t = (double)i / sampleRate;
                var envelope = Math.Min(1, t * 4) * Math.Min(1, (SecondsPerChord - t) * 4);
                var value = Chords[chord].Sum(frequency => Math.Sin(2 * Math.PI * frequency * t)) / Chords[chord].Length;
                samples[chord * samplesPerChord + i] = (short)(value * envelope * 6000);
            }
        }

        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write("RIFF"u8);
        writer.Write(36 + samples.Length * 2);
        writer.Write("WAVEfmt "u8);
        writer.Write(16);
        writer.Write((short)1);
        writer.Write((short)1);
        writer.Write(sampleRate);
        writer.Write(sampleRate * 2);
        writer.Write((short)2);
        writer.Write((short)16);
        writer.Write("data"u8);
        writer.Write(samples.Length * 2);
        foreach (var sample in samples)
        {
            writer.Write(sample);
        }

        writer.Flush();
        return stream.ToArray();
    }
}
