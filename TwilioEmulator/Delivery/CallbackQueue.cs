using System.Threading.Channels;

namespace WarmTransfer.TwilioEmulator.Delivery;

/// <summary>
/// Sends one call's or one conference's callbacks one after another, in the order they were raised,
/// without making the state change that raised them wait for the HTTP request.
/// </summary>
public sealed class CallbackQueue(ILogger? logger = null)
{
    private readonly Channel<Func<Task>> _pending = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private int _started;

    public void Enqueue(Func<Task> send)
    {
        if (!_pending.Writer.TryWrite(send))
        {
            logger?.LogWarning("A callback raised after its call or conference ended was not sent");
            return;
        }

        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = Task.Run(DrainAsync);
        }
    }

    /// <summary>No more callbacks will come: the queue ends once it has sent what it holds.</summary>
    public void Complete() => _pending.Writer.TryComplete();

    private async Task DrainAsync()
    {
        await foreach (var send in _pending.Reader.ReadAllAsync())
        {
            try
            {
                await send();
            }
            catch (Exception exception)
            {
                // One failed callback must not hold back the ones after it. Only the type is logged: the message
                // may quote a callback URL, and URLs can carry credentials.
                logger?.LogError("A queued callback failed ({ExceptionType}); the next ones are still sent", exception.GetType().Name);
            }
        }
    }
}
