using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace WarmTransfer.AgentPortal.Agents;

/// <summary>
/// Agents kept in a JSON file (<c>Agents:DirectoryFile</c>: an array of entries shaped like <see cref="AgentAccount"/>), added to
/// the configured directory and read again whenever the file changes: an agent added there can sign in at once, and one removed
/// loses their sessions at once. An entry that is not valid is left out and logged; a file that cannot be read keeps the agents
/// it had. The file is looked at every second (its time and size), which works on every file system, mounted ones included.
/// </summary>
public sealed class AgentDirectoryFile : IPostConfigureOptions<AgentDirectoryOptions>, IOptionsChangeTokenSource<AgentDirectoryOptions>, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly string _path;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private List<AgentAccount> _lastRead = [];
    private (DateTime Written, long Length) _seen;
    private CancellationTokenSource _changed = new();

    public AgentDirectoryFile(string path, ILogger logger, TimeProvider time)
    {
        _path = Path.GetFullPath(path);
        _logger = logger;
        _seen = Look();
        _timer = time.CreateTimer(_ => CheckForChange(), null, CheckInterval, CheckInterval);
    }

    public string? Name => Options.DefaultName;

    public IChangeToken GetChangeToken() => new CancellationChangeToken(_changed.Token);

    private void CheckForChange()
    {
        var now = Look();
        if (now == _seen)
        {
            return;
        }

        _seen = now;
        var changed = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
        changed.Cancel();
        changed.Dispose();
    }

    private (DateTime Written, long Length) Look()
    {
        var file = new FileInfo(_path);
        return file.Exists ? (file.LastWriteTimeUtc, file.Length) : (DateTime.MinValue, -1);
    }

    public void PostConfigure(string? name, AgentDirectoryOptions options) => options.Directory.AddRange(Read());

    private List<AgentAccount> Read()
    {
        try
        {
            var entries = File.Exists(_path)
                ? JsonSerializer.Deserialize<List<AgentAccount>>(File.ReadAllText(_path), Json) ?? []
                : [];
            _lastRead = entries.Where(IsValid).ToList();
        }
        catch (Exception exception) when (exception is IOException or JsonException or UnauthorizedAccessException)
        {
            _logger.LogError(exception, "The agent directory file {Path} could not be read: its agents stay as they were", _path);
        }

        return _lastRead;
    }

    private bool IsValid(AgentAccount agent)
    {
        var errors = new List<ValidationResult>();
        if (Validator.TryValidateObject(agent, new ValidationContext(agent), errors, validateAllProperties: true))
        {
            return true;
        }

        _logger.LogWarning("An entry of the agent directory file {Path} is left out: {Errors}", _path, string.Join(" ", errors.Select(e => e.ErrorMessage)));
        return false;
    }

    public void Dispose()
    {
        _timer.Dispose();
        _changed.Dispose();
    }
}
