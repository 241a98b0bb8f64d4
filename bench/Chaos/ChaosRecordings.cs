using System.Text.Json;

namespace WarmTransfer.Benchmarks.Chaos;

/// <summary>A chaos run's recording as a file beside the results (<c>…-chaos-recording.json</c>), to check it again later.</summary>
public static class ChaosRecordings
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Write(ChaosRecording recording, string path)
    {
        using var file = File.Create(path);
        JsonSerializer.Serialize(file, recording, Json);
    }

    public static ChaosRecording Read(string path)
    {
        using var file = File.OpenRead(path);
        return JsonSerializer.Deserialize<ChaosRecording>(file, Json) ?? throw new InvalidDataException($"{path} holds no recording");
    }
}
