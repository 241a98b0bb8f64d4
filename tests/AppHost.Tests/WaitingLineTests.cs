using System.Text.RegularExpressions;
using StackExchange.Redis;
using Xunit.Abstractions;
using static WarmTransfer.AppHost.Tests.SystemState;

namespace WarmTransfer.AppHost.Tests;

/// <summary>What a caller waiting in line hears, through the real system: the emulator's event log holds every Say they heard.</summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed partial class WaitingLineTests(WarmTransferAppFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly EmulatorAdmin _emulator = EmulatorAdmin.For(fixture.App);
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        await fixture.ResetAsync();
        _redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis"))!);
    }

    public async Task DisposeAsync()
    {
        await _emulator.HangUpEveryCallAsync();
        await _redis.DisposeAsync();
        _emulator.Dispose();
    }

    [Fact]
    public async Task A_waiting_caller_hears_their_place_on_entry_and_at_every_interval_and_moves_up_when_the_caller_ahead_leaves()
    {
        // Every agent is away: both callers wait.
        var ahead = await _emulator.CallSupportLineAsync(NewNumber());
        await Eventually.HoldsAsync(async () => await InLineAsync(_redis, ahead) ? null : "the first caller is not in line", StepTimeout);
        var caller = await _emulator.CallSupportLineAsync(NewNumber());

        await Eventually.HoldsAsync(async () => Positions(await SaidAsync(caller)).Count(position => position == 2) >= 2
            ? null : "the caller did not hear their place twice", StepTimeout);
        await _emulator.HangUpAsync(ahead);
        await Eventually.HoldsAsync(async () => Positions(await SaidAsync(caller)).Contains(1) ? null : "the caller was not told they moved up", StepTimeout);

        var said = await SaidAsync(caller);
        foreach (var e in said)
        {
            output.WriteLine($"{(e.Timestamp - said[0].Timestamp).TotalSeconds,6:F2} s  say  {e.Message}");
        }

        Assert.Equal("Thank you for calling. An agent will be with you shortly.", said[0].Message);
        var announcements = said.Where(e => Announcement().IsMatch(e.Message!)).ToList();
        Assert.Equal(Positions(said).OrderDescending(), Positions(said));
        Assert.All(announcements.Zip(announcements.Skip(1)), pair =>
            Assert.True(pair.Second.Timestamp - pair.First.Timestamp >= WarmTransferAppFixture.AnnounceEvery,
                $"announced again after {(pair.Second.Timestamp - pair.First.Timestamp).TotalSeconds:F1} s"));
        Assert.All(said, e => Assert.NotNull(e.ConferenceSid));
    }

    /// <summary>Every Say the caller heard, oldest first.</summary>
    private async Task<List<EmulatorEvent>> SaidAsync(string callSid) =>
        [.. (await _emulator.EventsAsync()).Where(e => e.Kind == "say" && e.CallSid == callSid)];

    private static List<int> Positions(IEnumerable<EmulatorEvent> said) =>
        [.. said.Select(e => Announcement().Match(e.Message!)).Where(match => match.Success).Select(match => int.Parse(match.Groups[1].Value))];

    [GeneratedRegex(@"^You are caller number (\d+)\.")]
    private static partial Regex Announcement();
}
