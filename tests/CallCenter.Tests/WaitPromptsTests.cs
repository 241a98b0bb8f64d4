using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WarmTransfer.CallCenter.State;
using WarmTransfer.CallCenter.Waiting;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>A waiting caller's passes of wait TwiML in a real Redis: what they were told is kept with their session.</summary>
public sealed class WaitPromptsTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly ManualTime _time = new();
    private AgentStore _line = null!;
    private WaitPrompts _prompts = null!;

    public async Task InitializeAsync()
    {
        await redis.Connection.GetServers()[0].FlushDatabaseAsync();
        _line = new AgentStore(redis.Connection, _time, Options.Create(new PresenceOptions()));
        _prompts = new WaitPrompts(redis.Connection, _line, _time, Options.Create(new QueueOptions()));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_caller_is_greeted_once_told_their_place_at_each_interval_and_told_when_they_move_up()
    {
        await _line.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back);
        await _line.ClaimLongestIdleAsync("CA2", "leg2", LinePlace.Back);

        Assert.Equal(new WaitPrompt(new QueueOptions().Greeting, "You are caller number 2."), await _prompts.NextAsync("CA2"));
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(new WaitPrompt(null, null), await _prompts.NextAsync("CA2"));

        await _line.LeaveLineAsync("CA1");
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(new WaitPrompt(null, "You are caller number 1."), await _prompts.NextAsync("CA2"));
        Assert.True(await redis.Connection.GetDatabase().KeyTimeToLiveAsync(RedisKeys.Announced("CA2")) > TimeSpan.Zero);
    }
}
