using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WarmTransfer.TwilioEmulator.Delivery;
using WarmTransfer.TwilioEmulator.Model;
using WarmTransfer.TwilioEmulator.Voice;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>Rules of single emulator parts, checked without placing calls.</summary>
public sealed class ComponentTests
{
    private static readonly EmulatorTimingOptions Timing = new()
    {
        SayDuration = TimeSpan.FromMilliseconds(10),
        PlayDuration = TimeSpan.FromMilliseconds(10),
        PauseScale = 0.01,
    };

    [Fact]
    public async Task A_callback_that_throws_does_not_stop_the_ones_after_it()
    {
        var queue = new CallbackQueue();
        var last = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        queue.Enqueue(() => throw new InvalidOperationException("a bug in one callback"));
        queue.Enqueue(() => Task.FromException(new HttpRequestException("a failed send")));
        queue.Enqueue(() =>
        {
            last.TrySetResult();
            return Task.CompletedTask;
        });

        await last.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void The_event_log_keeps_the_newest_10000_events_and_pages_by_sequence_number()
    {
        var log = new EventLog(TimeProvider.System);

        for (var i = 0; i < 10_005; i++)
        {
            log.Add("call", message: $"event {i}");
        }

        var all = log.Since(0);
        Assert.Equal(10_000, all.Count);
        Assert.Equal(6, all[0].Sequence);
        Assert.Equal(10_005, all[^1].Sequence);
        Assert.Equal([10_004L, 10_005L], log.Since(10_003).Select(e => e.Sequence));
        Assert.Empty(log.Since(10_005));
    }

    [Fact]
    public void Forgetting_ended_calls_keeps_live_ones_and_those_still_leaving_a_conference_in_creation_order()
    {
        var state = new EmulatorState();
        var ended = DateTimeOffset.UtcNow;
        var conference = new Conference { Sid = Sids.New("CF"), AccountSid = EmulatorFixture.AccountSid, FriendlyName = "leaving", DateCreated = ended };
        var live = AddCall(state, ended, endTime: null);
        var forgotten = AddCall(state, ended, endTime: ended);
        var leaving = AddCall(state, ended, endTime: ended);
        leaving.Participant = new Participant { CallSid = leaving.Sid, Conference = conference, DateCreated = ended };
        var recent = AddCall(state, ended, endTime: ended + TimeSpan.FromMinutes(5));

        state.ForgetEndedBefore(ended + TimeSpan.FromMinutes(1));
        var later = AddCall(state, ended, endTime: null);

        Assert.Null(state.FindCall(forgotten.Sid));
        Assert.Equal([live.Sid, leaving.Sid, recent.Sid, later.Sid], state.Calls.Keys);
    }

    private static Call AddCall(EmulatorState state, DateTimeOffset created, DateTimeOffset? endTime)
    {
        var call = new Call
        {
            Sid = Sids.New("CA"),
            AccountSid = EmulatorFixture.AccountSid,
            From = EmulatorFixture.SupportNumber,
            To = "+15550000001",
            Direction = "outbound-api",
            DateCreated = created,
            Status = endTime is null ? CallStatus.InProgress : CallStatus.Completed,
            EndTime = endTime,
        };
        state.Calls.Add(call.Sid, call);
        return call;
    }

    [Theory]
    [InlineData("<Pause length=\"-5\"/>")]
    [InlineData("<Pause length=\"1.5\"/>")]
    [InlineData("<Say loop=\"-2\">Hello</Say>")]
    [InlineData("<Play loop=\"lots\">https://example.com/a.mp3</Play>")]
    public async Task Negative_or_unreadable_numbers_in_media_verbs_play_briefly(string verb)
    {
        await Media().PlayAsync(XElement.Parse(verb), SomeCall(), null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_say_is_logged_with_its_text_voice_and_language_as_the_caller_hears_it()
    {
        var events = new EventLog(TimeProvider.System);
        var call = SomeCall();

        await Media(events).PlayAsync(XElement.Parse("<Say voice=\"Polly.Joanna\" language=\"en-US\"> You are caller number 2. </Say>"), call,
            "CF00000000000000000000000000000001", CancellationToken.None);
        await Media(events).PlayAsync(XElement.Parse("<Pause length=\"0\"/>"), call, null, CancellationToken.None);

        var said = Assert.Single(events.Since(0));
        Assert.Equal(("say", call.Sid, "CF00000000000000000000000000000001", "You are caller number 2."), (said.Kind, said.CallSid, said.ConferenceSid, said.Message));
        Assert.Equal(new Dictionary<string, string> { ["voice"] = "Polly.Joanna", ["language"] = "en-US" }, said.Parameters);
    }

    [Theory]
    [InlineData("<Pause length=\"2147483647\"/>")]
    [InlineData("<Play loop=\"2147483647\">https://example.com/a.mp3</Play>")]
    [InlineData("<Say loop=\"2147483647\">Hello</Say>")]
    public async Task Huge_numbers_in_media_verbs_are_capped_and_play_until_interrupted(string verb)
    {
        using var stop = new CancellationTokenSource();

        var playing = Media().PlayAsync(XElement.Parse(verb), SomeCall(), null, stop.Token);

        Assert.False(playing.IsCompleted, playing.Exception?.InnerException?.Message);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => playing);
    }

    [Theory]
    [InlineData("relative/path")]
    [InlineData("http://[::1/unclosed")]
    [InlineData("ftp://example.com/music.mp3")]
    public async Task A_url_no_http_request_can_be_sent_to_is_an_answer_of_status_0(string url)
    {
        var response = await Webhooks().SendAsync("voice-webhook", url, "POST", new Dictionary<string, string> { ["CallSid"] = "CA1" },
            "CA1", null, CancellationToken.None);

        Assert.Equal(0, response.StatusCode);
        Assert.False(response.IsSuccess);
    }

    private static WebhookClient Webhooks() => new(
        Options.Create(new EmulatorOptions { AuthToken = EmulatorFixture.AuthToken }), Options.Create(Timing),
        new EventLog(TimeProvider.System), TimeProvider.System, NullLogger<WebhookClient>.Instance);

    private static VoiceMedia Media(EventLog? events = null) =>
        new(new EmulatorState(), Webhooks(), Options.Create(Timing), events ?? new EventLog(TimeProvider.System), TimeProvider.System);

    private static Call SomeCall() => AddCall(new EmulatorState(), DateTimeOffset.UtcNow, endTime: null);
}

/// <summary>Engine rules that only show when two things happen at once.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class CallRingingRaceTests(EmulatorFixture emulator)
{
    [Fact]
    public void Only_the_answer_that_wins_the_ring_outcome_records_its_device()
    {
        var calls = emulator.Services.GetRequiredService<CallRinging>();
        var ringing = Enumerable.Range(0, 20_000).Select(_ => RingingCall()).ToArray();
        var arrived = new int[1];

        // Two threads step through the calls together, one answering and one declining each, as close in time as they can.
        var answering = new Thread(() => Race(ringing, arrived, call => calls.Answer(call, "DV-answering")));
        var declining = new Thread(() => Race(ringing, arrived, calls.Decline));
        answering.Start();
        declining.Start();
        answering.Join();
        declining.Join();

        Assert.All(ringing, call => Assert.Equal(call.RingOutcome.Task.Result == CallStatus.InProgress, call.AnsweredByDevice is not null));
    }

    private static void Race(Call[] ringing, int[] arrived, Action<Call> act)
    {
        for (var i = 0; i < ringing.Length; i++)
        {
            // Both threads reach call i before either acts on it.
            Interlocked.Increment(ref arrived[0]);
            var spinner = default(SpinWait);
            while (Volatile.Read(ref arrived[0]) < 2 * (i + 1))
            {
                spinner.SpinOnce();
            }

            act(ringing[i]);
        }
    }

    private static Call RingingCall() => new()
    {
        Sid = Sids.New("CA"),
        AccountSid = EmulatorFixture.AccountSid,
        From = EmulatorFixture.SupportNumber,
        To = "client:race",
        Direction = "outbound-api",
        DateCreated = DateTimeOffset.UtcNow,
        Status = CallStatus.Ringing,
    };
}
