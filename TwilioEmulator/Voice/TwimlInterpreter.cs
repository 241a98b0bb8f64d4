using System.Globalization;
using System.Xml.Linq;
using Microsoft.Extensions.Options;
using WarmTransfer.TwilioEmulator.Model;

namespace WarmTransfer.TwilioEmulator.Voice;

/// <summary>
/// Runs a call's TwiML: fetches each document, plays its verbs, follows Redirect and Dial action, hands Dial Conference
/// to <see cref="ConferenceEngine"/>. A REST update with new TwiML interrupts the document being fetched or run.
/// </summary>
public sealed class TwimlInterpreter(
    EmulatorState state,
    VoiceMedia media,
    EventLog events,
    ConferenceEngine conferences,
    CallLifecycle lifecycle,
    IOptions<EmulatorOptions> options,
    IOptions<EmulatorTimingOptions> timing,
    TimeProvider time,
    ILogger<TwimlInterpreter> logger)
{
    /// <summary>
    /// A Participants API leg's time in its conference. A REST redirect takes it out (participant_updated_via_api)
    /// and the call runs the new TwiML; otherwise the call hangs up when it leaves.
    /// </summary>
    public async Task RunConferenceLegAsync(Call call, ConferenceJoin join)
    {
        using (var scope = CancellationTokenSource.CreateLinkedTokenSource(call.Ended.Token))
        {
            if (!EnterDocument(call, scope))
            {
                // Redirected between being answered and joining: it never joins.
                WithdrawPending(call);
            }
            else
            {
                try
                {
                    await conferences.RunLegAsync(call, join, scope.Token);
                    return;
                }
                catch (OperationCanceledException) when (!call.Ended.IsCancellationRequested)
                {
                    // RunLegAsync took it out of the conference.
                }
                finally
                {
                    LeaveDocument(call, scope);
                }
            }
        }

        await ExecuteAsync(call, null);
    }

    private void WithdrawPending(Call call)
    {
        lock (state.Sync)
        {
            if (call.Participant is { } pending)
            {
                conferences.Withdraw(pending);
            }
        }
    }

    /// <summary>Makes <paramref name="scope"/> what a redirect cancels; false when a redirect is already pending.</summary>
    private bool EnterDocument(Call call, CancellationTokenSource scope)
    {
        lock (state.Sync)
        {
            if (call.PendingRedirect is not null)
            {
                return false;
            }

            call.CurrentDocument = scope;
            return true;
        }
    }

    /// <summary>Before the scope is disposed: a redirect must never cancel a disposed source.</summary>
    private void LeaveDocument(Call call, CancellationTokenSource scope)
    {
        lock (state.Sync)
        {
            if (call.CurrentDocument == scope)
            {
                call.CurrentDocument = null;
            }
        }
    }

    private TwimlSource? TakeRedirect(Call call)
    {
        lock (state.Sync)
        {
            var pending = call.PendingRedirect;
            call.PendingRedirect = null;
            return pending;
        }
    }

    /// <summary>
    /// Fetches and runs TwiML, starting with <paramref name="source"/>, until the call ends or runs out of verbs. A REST
    /// redirect interrupts the document being fetched or run; one that came while nothing ran replaces the next document.
    /// </summary>
    public async Task ExecuteAsync(Call call, TwimlSource? source)
    {
        var next = source;
        var redirectsInARow = 0;
        while (!call.Ended.IsCancellationRequested)
        {
            if (TakeRedirect(call) is { } update)
            {
                next = update;
                redirectsInARow = 0;
            }

            if (next is null)
            {
                return;
            }

            // The scope exists before the fetch, so a redirect during the fetch interrupts it too.
            using var scope = CancellationTokenSource.CreateLinkedTokenSource(call.Ended.Token);
            if (!EnterDocument(call, scope))
            {
                // A redirect came in just now: the next pass takes it.
                continue;
            }

            try
            {
                var ran = await RunDocumentAsync(call, next, redirectsInARow, scope.Token);
                next = ran.Next;
                redirectsInARow = ran.RedirectsInARow;
            }
            catch (OperationCanceledException) when (!call.Ended.IsCancellationRequested)
            {
                // Interrupted by a redirect: the next pass takes it.
                next = null;
            }
            catch (TwimlException exception)
            {
                events.Add("error", callSid: call.Sid, errorCode: exception.Code, message: exception.Message);
                logger.LogWarning("Call {CallSid} ends: error {ErrorCode} {Message}", call.Sid, exception.Code, exception.Message);
                next = null;
            }
            finally
            {
                LeaveDocument(call, scope);
            }
        }
    }

    /// <summary>Runs one document: what comes next, and how many &lt;Redirect&gt;s in a row, with no other verb between them, led there.</summary>
    private async Task<(TwimlSource? Next, int RedirectsInARow)> RunDocumentAsync(
        Call call, TwimlSource source, int redirectsInARow, CancellationToken cancellationToken)
    {
        var (document, documentUrl) = await FetchDocumentAsync(call, source, cancellationToken);
        lock (state.Sync)
        {
            if (call.PendingRedirect is not null)
            {
                // Redirected while this document was fetched: none of its verbs run.
                return (null, 0);
            }
        }

        // Relative URLs in the document are relative to the URL it came from (inline TwiML has none).
        return await RunVerbsAsync(call, document, documentUrl, redirectsInARow, cancellationToken);
    }

    /// <summary>
    /// The document and the URL it came from. When the number's voice URL fails an incoming call (no answer,
    /// not 2xx, not TwiML), Twilio asks the number's fallback URL instead, telling it ErrorCode and ErrorUrl.
    /// </summary>
    private async Task<(TwimlDocument Document, string? Url)> FetchDocumentAsync(Call call, TwimlSource source, CancellationToken cancellationToken)
    {
        try
        {
            var parameters = media.VoiceParameters(call);
            foreach (var (name, value) in source.Parameters ?? new Dictionary<string, string>())
            {
                parameters[name] = value;
            }

            return (await media.FetchAsync(call, source, "voice-webhook", parameters, cancellationToken), source.Url);
        }
        catch (TwimlException failure) when (call.Direction == "inbound" && ReferenceEquals(source, call.Instructions)
            && options.Value.VoiceFallbackUrl is { Length: > 0 } fallbackUrl)
        {
            events.Add("error", callSid: call.Sid, errorCode: failure.Code, message: $"{failure.Message}; trying the fallback URL");
            var parameters = media.VoiceParameters(call);
            parameters["ErrorCode"] = failure.Code.ToString(CultureInfo.InvariantCulture);
            parameters["ErrorUrl"] = source.Url!;
            var fallback = new TwimlSource(fallbackUrl, options.Value.VoiceFallbackMethod, null);
            return (await media.FetchAsync(call, fallback, "voice-webhook", parameters, cancellationToken), fallbackUrl);
        }
    }

    private async Task<(TwimlSource? Next, int RedirectsInARow)> RunVerbsAsync(
        Call call, TwimlDocument document, string? documentUrl, int redirectsInARow, CancellationToken cancellationToken)
    {
        foreach (var verb in document.Verbs)
        {
            var name = verb.Name.LocalName;
            if (name is not ("Hangup" or "Reject"))
            {
                MarkAnswered(call);
            }

            switch (name)
            {
                case "Say" or "Play" or "Pause":
                    await media.PlayAsync(verb, call, null, cancellationToken);
                    redirectsInARow = 0;
                    break;
                case "Redirect":
                    CheckRedirectLimit(redirectsInARow + 1, timing.Value.MaxConsecutiveRedirects);
                    return (new TwimlSource(Resolve(documentUrl, verb.Value.Trim()), Twiml.Attribute(verb, "method") ?? "POST", null),
                        redirectsInARow + 1);
                case "Hangup":
                    return (null, 0);
                case "Reject":
                    lifecycle.Finish(call, call.Status == CallStatus.InProgress ? CallStatus.Completed : CallStatus.Busy);
                    return (null, 0);
                case "Gather":
                    if (await GatherAsync(call, verb, documentUrl, cancellationToken) is { } submitted)
                    {
                        return (submitted, 0);
                    }

                    redirectsInARow = 0;
                    break;
                case "Dial":
                    var (action, joined) = await DialAsync(call, verb, documentUrl, cancellationToken);
                    if (joined)
                    {
                        redirectsInARow = 0;
                    }

                    if (action is not null)
                    {
                        return (action, redirectsInARow);
                    }

                    break;
                default:
                    // Skipped in no time: a loop of skipped verbs and redirects is still a loop.
                    events.Add("error", callSid: call.Sid, errorCode: 12200,
                        message: $"<{name}> is valid TwiML but the emulator does not run it; skipped.");
                    break;
            }
        }

        return (null, 0);
    }

    /// <summary>
    /// Twilio documents no limit on a voice call's redirects; the emulator ends a call that only redirects, fetching
    /// document after document without anything else happening, with messaging's document retrieval limit error.
    /// </summary>
    public static void CheckRedirectLimit(int redirectsInARow, int limit)
    {
        if (redirectsInARow > limit)
        {
            throw new TwimlException(14106,
                $"Document retrieval limit reached: more than {limit} <Redirect>s in a row with no other verb between them.");
        }
    }

    /// <summary>
    /// A &lt;Gather&gt; of DTMF: its nested Say, Play and Pause play while it listens, and the first key stops them. It ends on
    /// <c>finishOnKey</c> (default #, not counted), on <c>numDigits</c> keys, or <c>timeout</c> seconds (default 5) after the
    /// prompts or the last key. With keys, it requests <c>action</c> (default: this document's URL) with <c>Digits</c> and
    /// <c>FinishedOnKey</c>, and the call goes on with its answer; with none, the next verb runs, unless
    /// <c>actionOnEmptyResult</c> asks for the action anyway. Keys come from the admin API (<c>POST /admin/calls/{sid}/digits</c>).
    /// </summary>
    private async Task<TwimlSource?> GatherAsync(Call call, XElement gather, string? documentUrl, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(Math.Clamp(Twiml.IntAttribute(gather, "timeout", 5), 1, 600));
        var numDigits = Math.Max(0, Twiml.IntAttribute(gather, "numDigits", 0));
        var finishOnKey = Twiml.Attribute(gather, "finishOnKey") ?? "#";
        var action = Twiml.Attribute(gather, "action") is { } url ? Resolve(documentUrl, url) : documentUrl;
        if (gather.Elements().FirstOrDefault(prompt => prompt.Name.LocalName is not ("Say" or "Play" or "Pause")) is { } invalid)
        {
            throw new TwimlException(12200, $"<Gather> may nest only Say, Play and Pause, not <{invalid.Name.LocalName}>.");
        }

        var keys = System.Threading.Channels.Channel.CreateUnbounded<char>();
        lock (state.Sync)
        {
            call.Keypad = keys.Writer;
        }

        var digits = new System.Text.StringBuilder();
        var finishedOnKey = string.Empty;
        try
        {
            using (var prompts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            using (var listening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var playing = PlayPromptsAsync(call, gather, prompts.Token);
                var pressed = keys.Reader.WaitToReadAsync(listening.Token).AsTask();
                await (await Task.WhenAny(playing, pressed) == pressed ? prompts : listening).CancelAsync();

                try
                {
                    await playing;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // A key stopped the prompts.
                }
            }

            while (numDigits == 0 || digits.Length < numDigits)
            {
                using var timedOut = new CancellationTokenSource(timeout, time);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timedOut.Token);
                char key;
                try
                {
                    key = await keys.Reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                if (finishOnKey.Length > 0 && key == finishOnKey[0])
                {
                    finishedOnKey = finishOnKey;
                    break;
                }

                digits.Append(key);
            }
        }
        finally
        {
            // Keys pressed from now on are refused, not taken and lost.
            lock (state.Sync)
            {
                if (call.Keypad == keys.Writer)
                {
                    call.Keypad = null;
                }

                keys.Writer.TryComplete();
            }
        }

        if (digits.Length == 0 && !Twiml.BoolAttribute(gather, "actionOnEmptyResult", false))
        {
            return null;
        }

        if (action is null)
        {
            events.Add("error", callSid: call.Sid, errorCode: 12200,
                message: "<Gather> in inline TwiML has no action to send its digits to; the call goes on with the next verb.");
            return null;
        }

        return new TwimlSource(action, Twiml.Attribute(gather, "method") ?? "POST", null,
            new Dictionary<string, string> { ["Digits"] = digits.ToString(), ["FinishedOnKey"] = finishedOnKey });
    }

    private async Task PlayPromptsAsync(Call call, XElement gather, CancellationToken cancellationToken)
    {
        foreach (var prompt in gather.Elements())
        {
            await media.PlayAsync(prompt, call, null, cancellationToken);
        }
    }

    /// <summary>Keys pressed on the call: taken by the &lt;Gather&gt; listening now; false when none is.</summary>
    public bool PressKeys(Call call, string keys)
    {
        lock (state.Sync)
        {
            if (call.Keypad is not { } keypad)
            {
                return false;
            }

            if (!keys.All(keypad.TryWrite))
            {
                return false;
            }

            events.Add("digits", callSid: call.Sid, message: keys);
            return true;
        }
    }

    /// <summary>A &lt;Dial&gt;: the action to request after it, if any, and whether the call joined its conference.</summary>
    private async Task<(TwimlSource? Action, bool Joined)> DialAsync(Call call, XElement dial, string? documentUrl, CancellationToken cancellationToken)
    {
        var noun = dial.Elements().FirstOrDefault();
        if (noun is not { Name.LocalName: "Conference" })
        {
            events.Add("error", callSid: call.Sid, errorCode: 12200,
                message: $"<Dial> with <{noun?.Name.LocalName ?? "a number"}> is not run by the emulator; only <Conference> is.");
            return (null, false);
        }

        // waitUrl="" is silence, not the document's own URL.
        var waitUrl = Twiml.Attribute(noun, "waitUrl");
        var join = new ConferenceJoin(
            FriendlyName: noun.Value.Trim(),
            StartConferenceOnEnter: Twiml.BoolAttribute(noun, "startConferenceOnEnter", true),
            EndConferenceOnExit: Twiml.BoolAttribute(noun, "endConferenceOnExit", false),
            Muted: Twiml.BoolAttribute(noun, "muted", false),
            Beep: Twiml.Attribute(noun, "beep") ?? "true",
            Label: Twiml.Attribute(noun, "participantLabel"),
            WaitUrl: waitUrl is { Length: > 0 } ? Resolve(documentUrl, waitUrl) : waitUrl,
            WaitMethod: Twiml.Attribute(noun, "waitMethod") ?? "POST",
            MaxParticipants: Twiml.IntAttribute(noun, "maxParticipants", 250),
            StatusCallback: Twiml.Attribute(noun, "statusCallback") is { } callback ? Resolve(documentUrl, callback) : null,
            StatusCallbackMethod: Twiml.Attribute(noun, "statusCallbackMethod") ?? "POST",
            StatusCallbackEvents: ConferenceEngine.ParseEvents(Twiml.Attribute(noun, "statusCallbackEvent")));

        // Resolved before joining: an action that is no URL is an error now, not after the caller's time in the conference.
        var after = Twiml.Attribute(dial, "action") is { } dialAction
            ? new TwimlSource(Resolve(documentUrl, dialAction), Twiml.Attribute(dial, "method") ?? "POST", null)
            : null;
        return (after, await conferences.RunLegAsync(call, join, cancellationToken));
    }

    private void MarkAnswered(Call call)
    {
        lock (state.Sync)
        {
            if (call.Status is CallStatus.Ringing or CallStatus.Queued && call.Direction == "inbound")
            {
                call.Status = CallStatus.InProgress;
                call.StartTime = call.DateUpdated = time.GetUtcNow();
            }
        }
    }

    /// <summary>A URL in TwiML, relative to the document's URL; error 11100 unless that gives an absolute http(s) URL.</summary>
    public static string Resolve(string? baseUrl, string url)
    {
        var resolved = Uri.TryCreate(baseUrl, UriKind.Absolute, out var root) && Uri.TryCreate(root, url, out var absolute)
            ? absolute.ToString()
            : url;
        return Rest.TwilioForm.IsHttpUrl(resolved) ? resolved : throw new TwimlException(11100, $"Invalid URL format: '{url}'");
    }
}
