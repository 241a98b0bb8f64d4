using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>The services' sampler: background polls make no traces, and every call's work is still traced.</summary>
public sealed class BackgroundWorkSamplerTests : IDisposable
{
    private readonly ActivitySource _source = new($"sampler-test-{Guid.NewGuid():N}");
    private readonly TracerProvider _tracing;

    public BackgroundWorkSamplerTests() =>
        _tracing = Sdk.CreateTracerProviderBuilder().SetSampler(new ParentBasedSampler(new BackgroundWorkSampler())).AddSource(_source.Name).Build()!;

    public void Dispose()
    {
        _tracing.Dispose();
        _source.Dispose();
    }

    [Fact]
    public void A_redis_command_with_nothing_above_it_is_not_traced_but_one_under_a_webhook_or_a_message_is()
    {
        Assert.False(Recorded(_source.StartActivity("LINDEX", ActivityKind.Client)));

        using (var webhook = _source.StartActivity("POST /voice/incoming", ActivityKind.Server))
        {
            Assert.True(webhook is { Recorded: true });
            Assert.True(Recorded(_source.StartActivity("EVALSHA", ActivityKind.Client)));
        }

        using (var delivered = _source.StartActivity("dial-requests deliver", ActivityKind.Consumer))
        {
            Assert.True(delivered is { Recorded: true });
            Assert.True(Recorded(_source.StartActivity("GET", ActivityKind.Client)));
        }
    }

    [Fact]
    public void An_outgoing_http_request_is_traced_even_from_background_work()
    {
        Assert.True(Recorded(_source.StartActivity("System.Net.Http.HttpRequestOut", ActivityKind.Client)));
    }

    private static bool Recorded(Activity? activity)
    {
        using (activity)
        {
            return activity is { Recorded: true };
        }
    }
}
