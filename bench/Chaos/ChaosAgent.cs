using System.Net.WebSockets;
using System.Threading.Channels;

namespace WarmTransfer.Benchmarks.Chaos;

/// <summary>
/// A headless agent that is a real client: signed in to the portal, its page's hub connection open, a softphone registered
/// over the emulator's device socket with a token from the portal (renewed before it expires). It acts only on what it is
/// pushed (its view) and rung with (the softphone's <c>incoming</c>), with its own random choices and think times: accept,
/// reject or let ring; hold, resume, transfer to a colleague its view offers, cancel the transfer, leave, end the call; lose
/// its softphone for a few seconds (the emulator drops it, it reconnects as the SDK does); close its page and come back later.
/// Every action and every pushed view goes to the run's log. Once the run drains it only serves: back at once, answers every
/// call and ends it after a moment.
/// </summary>
public sealed class ChaosAgent : IAsyncDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan FirstReconnect = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestReconnect = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan DrainAnswer = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan DrainTalk = TimeSpan.FromMilliseconds(1500);

    private readonly Uri _portalAddress;
    private readonly string _password;
    private readonly EmulatorAdmin _emulator;
    private readonly ChaosLog _log;
    private readonly AgentBehaviour _behaviour;
    private readonly Random _random;
    private readonly Channel<Signal> _signals = Channel.CreateUnbounded<Signal>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, (string Choice, DateTimeOffset At)> _ringing = new(StringComparer.Ordinal);

    private PortalClient? _portal;
    private TimeSpan _refreshBefore = TimeSpan.FromSeconds(10);
    private SoftphoneToken? _token;
    private bool _pageOpen;
    private AgentHubListener? _hub;
    private int _hubGeneration;
    private SoftphoneDevice? _device;
    private int _deviceGeneration;
    private bool _dropRequested;
    private AgentView? _view;
    private string? _answered;
    private TimeSpan _reconnectDelay = FirstReconnect;
    private DateTimeOffset? _wrapUpAt;
    private DateTimeOffset? _callThinkAt, _idleThinkAt, _presenceAt, _pageBackAt, _hubBackAt, _softphoneBackAt, _renewAt;
    private volatile bool _draining;
    private bool _drainApplied;

    // A button of the page waiting for the portal's answer: the softphone goes on ringing and answering meanwhile, but the
    // agent presses nothing else until it comes (an acted-then-slow Twilio answer can hold it for many seconds).
    private Task _press = Task.CompletedTask;

    public ChaosAgent(string id, Uri portal, string password, EmulatorAdmin emulator, ChaosLog log, AgentBehaviour behaviour, int seed)
    {
        Id = id;
        _portalAddress = portal;
        _password = password;
        _emulator = emulator;
        _log = log;
        _behaviour = behaviour;
        _random = new Random(seed);
    }

    public string Id { get; }

    /// <summary>What the agent's page shows now: its routing status, or that the page is closed.</summary>
    public string Status => !_pageOpen ? "page closed" : _device is null ? "softphone gone" : _view?.Agent.Status ?? "opening";

    /// <summary>From now on, only serve: come back, answer every call, end it after a moment.</summary>
    public void Drain() => _draining = true;

    /// <summary>Signs in, opens the page, registers the softphone and goes available.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _portal = await PortalClient.SignInAsync(_portalAddress, Id, _password, cancellationToken, timeout: TimeSpan.FromSeconds(30));
        _refreshBefore = TimeSpan.FromMilliseconds((await _portal.SoftphoneAsync(cancellationToken)).TokenRefreshMs);
        await OpenPageAsync(cancellationToken);
        if (_device is null)
        {
            throw new InvalidOperationException($"{Id}'s softphone did not register");
        }

        await PostAsync(BenchActions.WentAvailable, "/api/presence", new { status = "available" }, null, cancellationToken);
    }

    /// <summary>Acts on what arrives and on its own timers until stopped.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await WaitAsync(cancellationToken);
                while (_signals.Reader.TryRead(out var signal))
                {
                    await HandleAsync(signal, cancellationToken);
                }

                await TimersAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception) when (exception is HttpRequestException or WebSocketException or TaskCanceledException or InvalidOperationException)
            {
                _log.Note($"an agent's step failed and it carried on: {exception.GetType().Name}");
            }
        }

        // A button pressed just before the end is logged before the run's recording is read.
        await _press;
    }

    private async Task WaitAsync(CancellationToken cancellationToken)
    {
        using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        tick.CancelAfter(Tick);
        try
        {
            await _signals.Reader.WaitToReadAsync(tick.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Nothing arrived: time to look at the timers.
        }
    }

    private async Task HandleAsync(Signal signal, CancellationToken cancellationToken)
    {
        var now = _log.Now;
        switch (signal)
        {
            case ViewSignal view:
                // Every push the page received counts, even one it had no time to act on before it closed.
                _log.Pushed(Id, view.View);
                if (view.Generation == _hubGeneration)
                {
                    _view = view.View.View;
                    OnView(now);
                }

                break;
            case HubEnded ended when ended.Generation == _hubGeneration && _hub is not null:
                // The portal closed the connection: the page reconnects, as SignalR's client does.
                await _hub.DisposeAsync();
                _hub = null;
                _hubBackAt = now + FirstReconnect;
                _log.Note("an agent's hub connection was closed by the portal; its page reconnected");
                break;
            case DeviceSignal { Message: var message } device when device.Generation == _deviceGeneration:
                await OnDeviceAsync(message, now);
                break;
        }
    }

    private void OnView(DateTimeOffset now)
    {
        if (_view?.Call is { MyStatus: "in-call" })
        {
            _callThinkAt ??= now + (_draining ? DrainTalk : _behaviour.CallThink.Next(_random));
            _idleThinkAt = null;
        }
        else
        {
            _callThinkAt = null;
            if (_view?.Call is null)
            {
                _idleThinkAt ??= now + _behaviour.IdleThink.Next(_random);
            }
        }
    }

    private async Task OnDeviceAsync(DeviceMessage message, DateTimeOffset now)
    {
        switch (message.Type)
        {
            case "incoming" when message.CallSid is { } callSid:
                if (_answered is not null)
                {
                    // allowIncomingWhileBusy is false by default: the SDK ignores a second call.
                    _log.Act(Id, BenchActions.LetRing, callSid, detail: "busy with another call");
                    break;
                }

                var choice = _draining ? BenchActions.Accepted
                    : Pick((BenchActions.Accepted, _behaviour.Accept), (BenchActions.Rejected, _behaviour.Reject), (BenchActions.LetRing, _behaviour.LetRing));
                if (choice == BenchActions.LetRing)
                {
                    _log.Act(Id, BenchActions.LetRing, callSid);
                    break;
                }

                _ringing[callSid] = (choice, now + (_draining ? DrainAnswer : _behaviour.RingThink.Next(_random)));
                break;
            case "cancel" when message.CallSid is { } callSid:
                _ringing.Remove(callSid);
                break;
            case "disconnect" when message.CallSid is { } callSid:
                _ringing.Remove(callSid);
                if (_answered == callSid)
                {
                    _answered = null;
                    await ReportSoftphoneAsync(CancellationToken.None);
                }

                break;
            case "closed":
                await SoftphoneGoneAsync(message.Message ?? "socket closed", now);
                break;
        }
    }

    /// <summary>The softphone's socket closed (or was dropped): it reconnects after a while, as the SDK does.</summary>
    private async Task SoftphoneGoneAsync(string reason, DateTimeOffset now)
    {
        var device = _device;
        _device = null;
        _deviceGeneration++;
        if (device is not null)
        {
            await device.DisposeAsync();
        }

        _ringing.Clear();
        _answered = null;
        await ReportSoftphoneAsync(CancellationToken.None);
        if (_dropRequested)
        {
            // Logged, and the outage chosen, when the drop was asked for.
            _dropRequested = false;
            return;
        }

        _log.Act(Id, BenchActions.SoftphoneGone, detail: reason);
        _softphoneBackAt = now + _reconnectDelay;
        _reconnectDelay = TimeSpan.FromTicks(Math.Min(_reconnectDelay.Ticks * 2, LongestReconnect.Ticks));
    }

    private async Task TimersAsync(CancellationToken cancellationToken)
    {
        var now = _log.Now;
        if (_draining && !_drainApplied)
        {
            _drainApplied = true;
            _pageBackAt = _pageBackAt is null ? null : now;
            _softphoneBackAt = _softphoneBackAt is null ? null : now;
            foreach (var callSid in _ringing.Keys.ToList())
            {
                _ringing[callSid] = (BenchActions.Accepted, now + DrainAnswer);
            }

            _callThinkAt = _callThinkAt is null ? null : now + DrainTalk;
            _presenceAt = _presenceAt is null ? null : now;
        }

        if (!_pageOpen)
        {
            if (Due(_pageBackAt, now))
            {
                await OpenPageAsync(cancellationToken);
            }

            return;
        }

        if (_hub is null && Due(_hubBackAt, now))
        {
            try
            {
                await ConnectHubAsync(cancellationToken);
            }
            catch (Exception exception) when (!IsStopping(exception, cancellationToken))
            {
                _hubBackAt = now + FirstReconnect;
            }
        }

        if (_device is null && Due(_softphoneBackAt, now))
        {
            await RegisterSoftphoneAsync(cancellationToken);
        }

        foreach (var (callSid, (choice, at)) in _ringing.Where(r => r.Value.At <= now).ToList())
        {
            _ringing.Remove(callSid);
            await AnswerAsync(callSid, choice, cancellationToken);
        }

        if (Due(_renewAt, now))
        {
            await RenewTokenAsync(cancellationToken);
        }

        // Wrap-up: after a moment's notes the agent presses Ready (now and then asking for more time first), or waits it out.
        if (_view?.Agent.Status == "wrap-up")
        {
            _wrapUpAt ??= now + (_draining ? DrainAnswer : _behaviour.WrapUpThink.Next(_random));
            if (Due(_wrapUpAt, now) && _press.IsCompleted)
            {
                _wrapUpAt = null;
                var moreTime = !_draining && _view.Agent.CanTakeMoreTime && _random.Next(100) < _behaviour.MoreTime;
                Press(moreTime ? BenchActions.MoreTime : BenchActions.Ready, moreTime ? "/api/wrap-up/more-time" : "/api/wrap-up/ready", new { }, null,
                    cancellationToken);
            }
        }
        else
        {
            _wrapUpAt = null;
        }

        // Away (chosen by the system after a missed call, or left so by a closed page): the agent makes themselves available
        // again once their page and softphone are there, after a moment's thought, as often as the page still says away.
        if (_view?.Agent.Status == AgentStatuses.Away && _device is not null)
        {
            _presenceAt ??= now + (_draining ? DrainAnswer : _behaviour.PresenceThink.Next(_random));
            if (Due(_presenceAt, now) && _press.IsCompleted)
            {
                _presenceAt = null;
                Press(BenchActions.WentAvailable, "/api/presence", new { status = "available" }, null, cancellationToken);
            }
        }
        else
        {
            _presenceAt = null;
        }

        if (!_press.IsCompleted)
        {
            return;
        }

        if (Due(_callThinkAt, now) && _view?.Call is { MyStatus: "in-call" } call)
        {
            _callThinkAt = now + (_draining ? DrainTalk : _behaviour.CallThink.Next(_random));
            await InCallAsync(call, cancellationToken);
        }

        if (Due(_idleThinkAt, now) && _view?.Call is null)
        {
            _idleThinkAt = now + _behaviour.IdleThink.Next(_random);
            await IdleAsync(cancellationToken);
        }
    }

    private async Task AnswerAsync(string callSid, string choice, CancellationToken cancellationToken)
    {
        if (_device is not { } device)
        {
            return;
        }

        var conference = _view?.Call is { MyStatus: "ringing" } ringing ? ringing.Conference : null;
        _log.Act(Id, choice, callSid, conference);
        if (choice == BenchActions.Accepted)
        {
            _answered = callSid;
            await device.AcceptAsync(callSid, cancellationToken);
            await ReportSoftphoneAsync(cancellationToken);
        }
        else
        {
            await device.RejectAsync(callSid, cancellationToken);
            // As the page does on the SDK's 'reject'.
            if (_hub is { } hub)
            {
                await hub.DeclinedAsync(callSid, cancellationToken);
            }
        }
    }

    /// <summary>One think in a call: what the agent does next, from what their view shows.</summary>
    private async Task InCallAsync(CallView call, CancellationToken cancellationToken)
    {
        var conference = call.Conference;
        if (_draining)
        {
            Press(BenchActions.EndCallPressed, "/api/end", new { }, conference, cancellationToken);
            return;
        }

        var first = call.Role == "owner";
        var colleagues = (_hub?.Available ?? []).Where(c => c.Id != Id).ToList();
        var transferFree = call.Transfer is null or { State: "completed" or "cancelled" or "failed" };
        var choice = Pick(
            ("talk", _behaviour.Talk),
            (call.CustomerOnHold ? BenchActions.Resume : BenchActions.Hold, first ? _behaviour.HoldOrResume : 0),
            // A named colleague the view offers, or the next free one (who may be nobody yet: the transfer waits).
            (BenchActions.Transfer, first && transferFree ? _behaviour.Transfer : 0),
            (BenchActions.ReturnToQueue, first && transferFree ? _behaviour.ReturnToQueue : 0),
            (BenchActions.CancelTransfer, call.Transfer is { State: "waiting" or "ringing" } ? _behaviour.CancelTransfer : 0),
            (BenchActions.Leave, _behaviour.Leave),
            (BenchActions.EndCallPressed, _behaviour.EndCall),
            (BenchActions.SoftphoneGone, _device is not null ? _behaviour.DropSoftphone : 0),
            (BenchActions.PageGone, _behaviour.ClosePage));
        switch (choice)
        {
            case BenchActions.Hold or BenchActions.Resume:
                Press(choice, "/api/hold", new { hold = choice == BenchActions.Hold }, conference, cancellationToken);
                break;
            case BenchActions.Transfer:
                var colleague = colleagues.Count > 0 && _random.Next(2) == 0 ? colleagues[_random.Next(colleagues.Count)].Id : string.Empty;
                var leave = _random.Next(100) < _behaviour.ColdTransfer;
                Press(choice, "/api/transfer", new { colleague, leave }, conference, cancellationToken,
                    $"{(leave ? "cold " : "")}to {(colleague.Length > 0 ? colleague : "the next free colleague")}");
                break;
            case BenchActions.ReturnToQueue:
                Press(choice, "/api/return-to-queue", new { }, conference, cancellationToken);
                break;
            case BenchActions.CancelTransfer:
                Press(choice, "/api/transfer/cancel", new { }, conference, cancellationToken);
                break;
            case BenchActions.Leave:
                Press(choice, "/api/leave", new { }, conference, cancellationToken);
                break;
            case BenchActions.EndCallPressed:
                Press(choice, "/api/end", new { }, conference, cancellationToken);
                break;
            case BenchActions.SoftphoneGone:
                await DropSoftphoneAsync(cancellationToken);
                break;
            case BenchActions.PageGone:
                await ClosePageAsync();
                break;
        }
    }

    private async Task IdleAsync(CancellationToken cancellationToken)
    {
        if (_draining)
        {
            return;
        }

        switch (Pick(("idle", _behaviour.Idle), (BenchActions.SoftphoneGone, _device is not null ? _behaviour.IdleDropSoftphone : 0),
                    (BenchActions.PageGone, _behaviour.IdleClosePage)))
        {
            case BenchActions.SoftphoneGone:
                await DropSoftphoneAsync(cancellationToken);
                break;
            case BenchActions.PageGone:
                await ClosePageAsync();
                break;
        }
    }

    /// <summary>The network under the softphone drops for a few seconds: the emulator closes its socket, it comes back after.</summary>
    private async Task DropSoftphoneAsync(CancellationToken cancellationToken)
    {
        if (_device is not { } device)
        {
            return;
        }

        var outage = _behaviour.SoftphoneOutage.Next(_random);
        _log.Act(Id, BenchActions.SoftphoneGone, detail: $"network drop for {InvariantChecker.Seconds(outage)}");
        _dropRequested = true;
        _softphoneBackAt = _log.Now + outage;
        _reconnectDelay = FirstReconnect;
        if (!await _emulator.DropDeviceAsync(device.DeviceId, cancellationToken: cancellationToken))
        {
            _log.Note("the emulator did not drop a softphone (POST /admin/devices/{id}/drop answered 404: no such route, or the device had just gone): the agent dropped its socket itself");
            await SoftphoneGoneAsync("dropped by the bench", _log.Now);
        }
    }

    /// <summary>The agent closes their page: the hub connection and the softphone go with it, until they come back.</summary>
    private async Task ClosePageAsync()
    {
        var away = _behaviour.PageAway.Next(_random);
        _log.Act(Id, BenchActions.PageGone, detail: $"back in {InvariantChecker.Seconds(away)}");
        _log.Act(Id, BenchActions.SoftphoneGone, detail: "page closed");
        _pageOpen = false;
        _pageBackAt = _log.Now + away;
        _hubGeneration++;
        _deviceGeneration++;
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
            _hub = null;
        }

        if (_device is not null)
        {
            await _device.DisposeAsync();
            _device = null;
        }

        _view = null;
        _answered = null;
        _dropRequested = false;
        _ringing.Clear();
        _callThinkAt = _idleThinkAt = _presenceAt = _hubBackAt = _softphoneBackAt = _renewAt = null;
    }

    private async Task OpenPageAsync(CancellationToken cancellationToken)
    {
        _pageBackAt = null;
        try
        {
            await ConnectHubAsync(cancellationToken);
        }
        catch (Exception exception) when (!IsStopping(exception, cancellationToken))
        {
            _pageBackAt = _log.Now + FirstReconnect;
            return;
        }

        _pageOpen = true;
        _log.Act(Id, BenchActions.PageOpen);
        await RegisterSoftphoneAsync(cancellationToken);
    }

    private async Task ConnectHubAsync(CancellationToken cancellationToken)
    {
        _hubBackAt = null;
        var hub = await _portal!.ConnectHubAsync(cancellationToken);
        _hub = hub;
        await ReportSoftphoneAsync(cancellationToken);
        var generation = ++_hubGeneration;
        _ = Task.Run(async () =>
        {
            await foreach (var view in hub.Views.ReadAllAsync(CancellationToken.None))
            {
                _signals.Writer.TryWrite(new ViewSignal(generation, view));
            }

            _signals.Writer.TryWrite(new HubEnded(generation));
        }, CancellationToken.None);
    }

    private async Task RegisterSoftphoneAsync(CancellationToken cancellationToken)
    {
        _softphoneBackAt = null;
        try
        {
            if (_token is null || _token.ExpiresAt - _log.Now < _refreshBefore)
            {
                _token = await _portal!.TokenAsync(cancellationToken);
            }

            var device = await SoftphoneDevice.RegisterAsync(_emulator.BaseAddress, _token.Token, cancellationToken);
            _device = device;
            var generation = ++_deviceGeneration;
            _ = Task.Run(async () =>
            {
                await foreach (var message in device.Messages.ReadAllAsync(CancellationToken.None))
                {
                    _signals.Writer.TryWrite(new DeviceSignal(generation, message));
                }
            }, CancellationToken.None);
            _reconnectDelay = FirstReconnect;
            _renewAt = _token.ExpiresAt - _refreshBefore;
            _log.Act(Id, BenchActions.SoftphoneRegistered, detail: device.DeviceId);
            await ReportSoftphoneAsync(cancellationToken);
        }
        catch (Exception exception) when (!IsStopping(exception, cancellationToken))
        {
            // An expired or refused token is fetched afresh; the SDK retries with a growing pause.
            _token = exception is DeviceRegistrationException ? null : _token;
            _softphoneBackAt = _log.Now + _reconnectDelay;
            _reconnectDelay = TimeSpan.FromTicks(Math.Min(_reconnectDelay.Ticks * 2, LongestReconnect.Ticks));
        }
    }

    private async Task RenewTokenAsync(CancellationToken cancellationToken)
    {
        _renewAt = null;
        _token = await _portal!.TokenAsync(cancellationToken);
        _renewAt = _token.ExpiresAt - _refreshBefore;
        if (_device is { } device)
        {
            await device.UpdateTokenAsync(_token.Token, cancellationToken);
        }
    }

    /// <summary>What the page says of its softphone in its heartbeat: registered and free, busy with a call, or gone.</summary>
    private string SoftphoneNow => _device is null ? "unregistered" : _answered is null ? "registered" : "busy";

    /// <summary>The page tells the portal at once when its softphone changes, as the page's SDK events do.</summary>
    private async Task ReportSoftphoneAsync(CancellationToken cancellationToken)
    {
        if (_hub is not { } hub)
        {
            return;
        }

        try
        {
            await hub.ReportSoftphoneAsync(SoftphoneNow, cancellationToken);
        }
        catch (Exception exception) when (exception is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is going; the page reports again once it is back.
        }
    }

    /// <summary>Presses a button of the page without waiting for the answer (see <see cref="_press"/>).</summary>
    private void Press(string action, string path, object body, string? conference, CancellationToken cancellationToken, string? detail = null) =>
        _press = PostAsync(action, path, body, conference, cancellationToken, detail);

    /// <summary>Presses a button of the page: logged with the moment it was pressed and what the portal answered.</summary>
    private async Task PostAsync(string action, string path, object body, string? conference, CancellationToken cancellationToken, string? detail = null)
    {
        var at = _log.Now;
        string answer;
        try
        {
            using var response = await _portal!.PostAsync(path, body, cancellationToken);
            answer = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
        {
            answer = cancellationToken.IsCancellationRequested ? "run over" : "no answer";
        }

        _log.Act(Id, action, conference: conference, detail: detail is null ? answer : $"{detail}: {answer}", at: at);
    }

    private string Pick(params (string Choice, int Weight)[] choices)
    {
        var total = choices.Sum(c => Math.Max(0, c.Weight));
        var roll = _random.Next(total);
        foreach (var (choice, weight) in choices)
        {
            if (weight <= 0)
            {
                continue;
            }

            if (roll < weight)
            {
                return choice;
            }

            roll -= weight;
        }

        return choices[0].Choice;
    }

    private static bool Due(DateTimeOffset? at, DateTimeOffset now) => at is { } time && time <= now;

    private static bool IsStopping(Exception exception, CancellationToken cancellationToken) =>
        exception is OperationCanceledException && cancellationToken.IsCancellationRequested;

    public async ValueTask DisposeAsync()
    {
        _hubGeneration++;
        _deviceGeneration++;
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        if (_device is not null)
        {
            await _device.DisposeAsync();
        }

        _portal?.Dispose();
    }

    private abstract record Signal;

    private sealed record ViewSignal(int Generation, ReceivedView View) : Signal;

    private sealed record HubEnded(int Generation) : Signal;

    private sealed record DeviceSignal(int Generation, DeviceMessage Message) : Signal;
}
