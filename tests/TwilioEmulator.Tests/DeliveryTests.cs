using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Rest.Api.V2010.Account.Conference;
using Twilio.Types;
using Twiml = Twilio.Types.Twiml;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>
/// Callback delivery modes (<c>PUT /admin/delivery</c>): concurrent, lossy, duplicate, and one seed behind every choice.
/// An emulator of its own: the modes and the seed are the whole emulator's.
/// </summary>
public sealed class DeliveryTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>, IAsyncLifetime
{
    private static readonly List<string> AllProgressEvents = ["initiated", "ringing", "answered", "completed"];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => (await emulator.Admin.DeleteAsync("/admin/delivery")).EnsureSuccessStatusCode();

    [Fact]
    public async Task Concurrent_delivery_sends_each_status_callback_on_its_own_so_one_calls_callbacks_arrive_out_of_order()
    {
        await SetDeliveryAsync(new { concurrent = true, seed = 11, maxJitterMs = 1500 });

        var calls = new List<(string Sid, string Path)>();
        for (var i = 0; i < 3; i++)
        {
            calls.Add(await PlaceCallWithCallbacksAsync());
        }

        var orders = new List<int[]>();
        foreach (var (_, path) in calls)
        {
            var received = await emulator.Webhooks.WaitForAsync(path, r => r.Count == 4, TimeSpan.FromSeconds(10));
            orders.Add([.. received.Select(r => int.Parse(r["SequenceNumber"], CultureInfo.InvariantCulture))]);
        }

        Assert.All(orders, order => Assert.Equal([0, 1, 2, 3], order.Order()));
        Assert.Contains(orders, order => !order.SequenceEqual(order.Order()));
        var delivered = await DeliveriesAsync(calls[0].Sid);
        Assert.Equal(4, delivered.Count);
        Assert.All(delivered, e =>
        {
            Assert.StartsWith("delayed ", e.GetProperty("delivery").GetString());
            Assert.Equal(11, e.GetProperty("seed").GetInt32());
        });
    }

    [Fact]
    public async Task Concurrent_delivery_reorders_one_conferences_events()
    {
        await SetDeliveryAsync(new { concurrent = true, seed = 5, maxJitterMs = 1500 });
        var id = Guid.NewGuid().ToString("N");
        var events = $"/conference-events/{id}";
        var customer = await CallResource.CreateAsync(new PhoneNumber(UniqueNumber()), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twiml($"<Response><Dial><Conference participantLabel=\"customer\" statusCallback=\"{emulator.Webhooks.Url(events)}\" " +
                $"statusCallbackEvent=\"start end join leave hold mute\">reorder-{id}</Conference></Dial></Response>"), client: emulator.Twilio);
        var conferenceSid = (await emulator.Webhooks.WaitForAsync(events, r => r.Count >= 1))[0]["ConferenceSid"];
        for (var i = 0; i < 3; i++)
        {
            await ParticipantResource.UpdateAsync(conferenceSid, customer.Sid, hold: true, client: emulator.Twilio);
            await ParticipantResource.UpdateAsync(conferenceSid, customer.Sid, hold: false, client: emulator.Twilio);
            await ParticipantResource.UpdateAsync(conferenceSid, customer.Sid, muted: true, client: emulator.Twilio);
            await ParticipantResource.UpdateAsync(conferenceSid, customer.Sid, muted: false, client: emulator.Twilio);
        }

        await CallResource.UpdateAsync(customer.Sid, status: CallResource.UpdateStatusEnum.Completed, client: emulator.Twilio);

        // join, 12 hold and mute changes, leave, end.
        var received = await emulator.Webhooks.WaitForAsync(events, r => r.Count == 15, TimeSpan.FromSeconds(10));
        var order = received.Select(r => int.Parse(r["SequenceNumber"], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(1, 15), order.Order());
        Assert.NotEqual(order.Order(), order);
    }

    [Fact]
    public async Task Lossy_delivery_never_delivers_the_configured_share_and_logs_each_as_dropped()
    {
        await SetDeliveryAsync(new { lossy = true, seed = 3, dropRate = 0.5 });

        var calls = new List<(string Sid, string Path)>();
        for (var i = 0; i < 10; i++)
        {
            calls.Add(await PlaceCallWithCallbacksAsync());
        }

        // Each of the 40 callbacks is either delivered once or logged as dropped.
        var outcomes = new List<JsonElement>();
        await Poll.UntilAsync(async () =>
        {
            outcomes = [];
            foreach (var (sid, _) in calls)
            {
                outcomes.AddRange(await DeliveriesAsync(sid));
            }

            return outcomes.Count == 40;
        }, "every callback delivered or dropped");
        var dropped = outcomes.Where(e => e.GetProperty("kind").GetString() == "dropped").ToList();
        Assert.InRange(dropped.Count, 8, 32);
        Assert.All(dropped, e => Assert.Equal("status-callback", e.GetProperty("message").GetString()));
        Assert.Equal(40 - dropped.Count, calls.Sum(call => emulator.Webhooks.Received(call.Path).Count));
    }

    [Fact]
    public async Task Lossy_delivery_retries_a_refused_connection_once_or_as_often_as_the_url_fragment_says()
    {
        await SetDeliveryAsync(new { lossy = true, seed = 1, dropRate = 0 });
        var closed = $"http://127.0.0.1:{ClosedPort()}/status";

        var once = await CreateCallAsync(closed, ["completed"]);
        var thrice = await CreateCallAsync(closed + "#rc=3&ct=500", ["completed"]);

        await Poll.UntilAsync(async () => (await AttemptsAsync(once)).Count == 2 && (await AttemptsAsync(thrice)).Count == 4,
            "the retries", TimeSpan.FromSeconds(15));
        Assert.Equal(["in order", "in order, retry 1 of 1"], await AttemptsAsync(once));
        Assert.Equal(["in order", "in order, retry 1 of 3", "in order, retry 2 of 3", "in order, retry 3 of 3"], await AttemptsAsync(thrice));
        // The fragment is Twilio's instruction, not part of the request.
        Assert.All(await DeliveriesAsync(thrice), e => Assert.DoesNotContain("#", e.GetProperty("url").GetString()));
    }

    [Fact]
    public async Task Duplicate_delivery_sends_the_configured_share_twice()
    {
        await SetDeliveryAsync(new { duplicate = true, seed = 2, duplicateRate = 1.0, maxJitterMs = 100 });

        var (sid, path) = await PlaceCallWithCallbacksAsync();

        var received = await emulator.Webhooks.WaitForAsync(path, r => r.Count == 8, TimeSpan.FromSeconds(10));
        Assert.All(received.GroupBy(r => r["SequenceNumber"]), copies => Assert.Equal(2, copies.Count()));
        // A delivery is logged once its answer is back, a moment after the receiver saw it.
        await Poll.UntilAsync(async () => (await DeliveriesAsync(sid)).Count == 8, "every delivery logged", TimeSpan.FromSeconds(10));
        var notes = (await DeliveriesAsync(sid)).Select(e => e.GetProperty("delivery").GetString()!).ToList();
        Assert.Equal(4, notes.Count(note => note.StartsWith("duplicate", StringComparison.Ordinal)));
        Assert.Equal(4, notes.Count(note => note.Contains("; copy at", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_same_seed_makes_the_same_choices_for_the_same_callbacks()
    {
        async Task<List<string>> RunAsync()
        {
            await SetDeliveryAsync(new { concurrent = true, lossy = true, duplicate = true, seed = 42, maxJitterMs = 1000, dropRate = 0.3, duplicateRate = 0.3 });
            var (sid, _) = await PlaceCallWithCallbacksAsync();
            List<string> choices = [];
            // Each callback's first event (delivered or dropped) names every choice made for it.
            await Poll.UntilAsync(async () =>
            {
                choices = [.. (await DeliveriesAsync(sid))
                    .Where(e => !e.GetProperty("delivery").GetString()!.StartsWith("duplicate", StringComparison.Ordinal))
                    .Select(e => $"{e.GetProperty("parameters").GetProperty("SequenceNumber").GetString()}: {e.GetProperty("delivery").GetString()}")
                    .Order()];
                return choices.Count == 4;
            }, "each callback delivered or dropped");
            return choices;
        }

        var first = await RunAsync();
        var second = await RunAsync();

        Assert.Equal(first, second);
        Assert.Contains(first, choice => choice.Contains("delayed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Delivery_settings_are_shown_in_the_state_and_a_bad_one_is_refused_without_changing_anything()
    {
        await SetDeliveryAsync(new { concurrent = true, seed = 9 });

        using var bad = await emulator.Admin.PutAsJsonAsync("/admin/delivery", new { lossy = true, dropRate = 2.0 });

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("dropRate", await bad.Content.ReadAsStringAsync());
        var delivery = (await emulator.StateAsync()).GetProperty("delivery");
        Assert.True(delivery.GetProperty("concurrent").GetBoolean());
        Assert.False(delivery.GetProperty("lossy").GetBoolean());
        Assert.Equal(9, delivery.GetProperty("seed").GetInt32());

        (await emulator.Admin.DeleteAsync("/admin/delivery")).EnsureSuccessStatusCode();
        var ordered = await emulator.Admin.GetFromJsonAsync<JsonElement>("/admin/delivery");
        Assert.False(ordered.GetProperty("concurrent").GetBoolean());
        Assert.Equal(9, ordered.GetProperty("seed").GetInt32());
    }

    private async Task SetDeliveryAsync(object settings) =>
        (await emulator.Admin.PutAsJsonAsync("/admin/delivery", settings)).EnsureSuccessStatusCode();

    /// <summary>A call to a phone that answers at once, pauses briefly and hangs up, with every progress callback to a path of its own.</summary>
    private async Task<(string Sid, string Path)> PlaceCallWithCallbacksAsync()
    {
        var path = $"/status/{Guid.NewGuid():N}";
        return (await CreateCallAsync(emulator.Webhooks.Url(path), AllProgressEvents), path);
    }

    private async Task<string> CreateCallAsync(string statusCallback, List<string> progressEvents)
    {
        var call = await CallResource.CreateAsync(new PhoneNumber(UniqueNumber()), new PhoneNumber(EmulatorFixture.SupportNumber),
            twiml: new Twiml("<Response><Pause length=\"1\"/></Response>"), statusCallback: new Uri(statusCallback),
            statusCallbackEvent: progressEvents, client: emulator.Twilio);
        return call.Sid;
    }

    /// <summary>The call's status callbacks as the event log shows them: each attempt, copy, or drop.</summary>
    private async Task<List<JsonElement>> DeliveriesAsync(string callSid) =>
        [.. (await emulator.EventsAsync()).Where(e => e.GetProperty("kind").GetString() is "status-callback" or "dropped"
            && e.GetProperty("callSid").GetString() == callSid)];

    private async Task<List<string>> AttemptsAsync(string callSid) =>
        [.. (await DeliveriesAsync(callSid)).Select(e => e.GetProperty("delivery").GetString()!)];

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string UniqueNumber() => RedirectTests.UniqueNumber();
}
