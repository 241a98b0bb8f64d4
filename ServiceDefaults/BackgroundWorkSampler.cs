using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Background work starts no trace: a Redis command with no incoming request, message or webhook above it (a poll of the
/// outbox, a timer's sweep, a heartbeat over an open socket) is not recorded, so the dashboard's traces are the calls. Work
/// under a request, a message or a call's own span is traced as before; an outgoing HTTP request (a webhook, a REST call) is
/// always traced, since it starts or checks a call.
/// </summary>
public sealed class BackgroundWorkSampler : Sampler
{
    /// <summary>The operation name of HttpClient's outgoing request spans.</summary>
    private const string HttpRequestOut = "System.Net.Http.HttpRequestOut";

    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);
    private static readonly SamplingResult Record = new(SamplingDecision.RecordAndSample);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters is { Kind: ActivityKind.Client } && samplingParameters.ParentContext.TraceId == default
        && samplingParameters.Name != HttpRequestOut
            ? Drop
            : Record;
}
