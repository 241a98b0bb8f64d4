using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WarmTransfer.AppHost.Tests.Telemetry;

/// <summary>A span as the services exported it.</summary>
public sealed record ExportedSpan(
    string Service, string TraceId, string SpanId, string ParentSpanId, string Name, SpanKind Kind, DateTimeOffset Start,
    IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<string> LinkedTraceIds)
{
    public string? this[string attribute] => Attributes.GetValueOrDefault(attribute);

    public override string ToString() =>
        $"{Service} {Kind} '{Name}' trace {TraceId}{(ParentSpanId.Length == 0 ? " (root)" : "")} [{string.Join(", ", Attributes.Select(a => $"{a.Key}={a.Value}"))}]";
}

/// <summary>A log record as the services exported it.</summary>
public sealed record ExportedLog(string Service, string TraceId, string Body, IReadOnlyDictionary<string, string> Attributes);

/// <summary>OTLP's span kinds.</summary>
public enum SpanKind
{
    Unspecified = 0,
    Internal = 1,
    Server = 2,
    Client = 3,
    Producer = 4,
    Consumer = 5,
}

/// <summary>
/// An OTLP/HTTP receiver (protobuf) in the test process, standing in for the dashboard: the services export their traces and
/// logs to it as they would to the Aspire dashboard's collector.
/// </summary>
public sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ExportedSpan> _spans = new();
    private readonly ConcurrentQueue<ExportedLog> _logs = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly Task _receiving;

    private OtlpReceiver(int port)
    {
        Endpoint = new Uri($"http://127.0.0.1:{port}");
        _listener.Prefixes.Add($"{Endpoint}");
        _listener.Start();
        _receiving = Task.Run(ReceiveAsync);
    }

    /// <summary>What OTEL_EXPORTER_OTLP_ENDPOINT points at (with OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf).</summary>
    public Uri Endpoint { get; }

    public IReadOnlyList<ExportedSpan> Spans => [.. _spans];

    public IReadOnlyList<ExportedLog> Logs => [.. _logs];

    /// <summary>Exports that could not be read.</summary>
    public IReadOnlyList<string> Errors => [.. _errors];

    public static OtlpReceiver Start()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new OtlpReceiver(port);
    }

    private async Task ReceiveAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var path = context.Request.Url!.AbsolutePath;
            try
            {
                if (path == "/v1/traces")
                {
                    foreach (var span in ReadSpans(body.ToArray()).ToList())
                    {
                        _spans.Enqueue(span);
                    }
                }
                else if (path == "/v1/logs")
                {
                    foreach (var log in ReadLogs(body.ToArray()).ToList())
                    {
                        _logs.Enqueue(log);
                    }
                }

                // An empty Export*ServiceResponse: everything accepted.
                context.Response.StatusCode = 200;
            }
            catch (Exception exception) when (exception is InvalidDataException or ArgumentOutOfRangeException or IndexOutOfRangeException)
            {
                _errors.Enqueue($"{path}: {exception.Message}");
                context.Response.StatusCode = 400;
            }

            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Close();
        _receiving.Wait(TimeSpan.FromSeconds(5));
    }

    // ExportTraceServiceRequest: 1 resource_spans { 1 resource { 1 attributes }, 2 scope_spans { 2 spans } }.
    private static IEnumerable<ExportedSpan> ReadSpans(byte[] request)
    {
        foreach (var resourceSpans in Protobuf.Messages(request, 1))
        {
            var service = ServiceName(resourceSpans);
            foreach (var scopeSpans in Protobuf.Messages(resourceSpans, 2))
            {
                foreach (var span in Protobuf.Messages(scopeSpans, 2))
                {
                    yield return ReadSpan(service, span);
                }
            }
        }
    }

    // Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 7 start_time_unix_nano, 9 attributes, 13 links { 1 trace_id }.
    private static ExportedSpan ReadSpan(string service, ReadOnlyMemory<byte> span)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        var kind = SpanKind.Unspecified;
        var start = DateTimeOffset.MinValue;
        var attributes = new Dictionary<string, string>();
        var links = new List<string>();
        foreach (var field in Protobuf.Fields(span))
        {
            switch (field.Number)
            {
                case 1: traceId = Convert.ToHexStringLower(field.Bytes.Span); break;
                case 2: spanId = Convert.ToHexStringLower(field.Bytes.Span); break;
                case 4: parent = Convert.ToHexStringLower(field.Bytes.Span); break;
                case 5: name = Encoding.UTF8.GetString(field.Bytes.Span); break;
                case 6: kind = (SpanKind)field.Value; break;
                case 7: start = DateTimeOffset.UnixEpoch.AddTicks((long)(field.Value / 100)); break;
                case 9: AddAttribute(attributes, field.Bytes); break;
                case 13:
                    links.AddRange(Protobuf.Fields(field.Bytes).Where(f => f.Number == 1).Select(f => Convert.ToHexStringLower(f.Bytes.Span)));
                    break;
            }
        }

        return new ExportedSpan(service, traceId, spanId, parent, name, kind, start, attributes, links);
    }

    // ExportLogsServiceRequest: 1 resource_logs { 1 resource, 2 scope_logs { 2 log_records { 5 body, 6 attributes, 9 trace_id } } }.
    private static IEnumerable<ExportedLog> ReadLogs(byte[] request)
    {
        foreach (var resourceLogs in Protobuf.Messages(request, 1))
        {
            var service = ServiceName(resourceLogs);
            foreach (var scopeLogs in Protobuf.Messages(resourceLogs, 2))
            {
                foreach (var record in Protobuf.Messages(scopeLogs, 2))
                {
                    string traceId = "", body = "";
                    var attributes = new Dictionary<string, string>();
                    foreach (var field in Protobuf.Fields(record))
                    {
                        switch (field.Number)
                        {
                            case 5: body = AnyValue(field.Bytes); break;
                            case 6: AddAttribute(attributes, field.Bytes); break;
                            case 9: traceId = Convert.ToHexStringLower(field.Bytes.Span); break;
                        }
                    }

                    yield return new ExportedLog(service, traceId, body, attributes);
                }
            }
        }
    }

    private static string ServiceName(ReadOnlyMemory<byte> resourceItems)
    {
        var attributes = new Dictionary<string, string>();
        foreach (var resource in Protobuf.Messages(resourceItems, 1))
        {
            foreach (var attribute in Protobuf.Messages(resource, 1))
            {
                AddAttribute(attributes, attribute);
            }
        }

        return attributes.GetValueOrDefault("service.name", "");
    }

    // KeyValue: 1 key, 2 value (AnyValue).
    private static void AddAttribute(Dictionary<string, string> attributes, ReadOnlyMemory<byte> keyValue)
    {
        string key = "", value = "";
        foreach (var field in Protobuf.Fields(keyValue))
        {
            if (field.Number == 1)
            {
                key = Encoding.UTF8.GetString(field.Bytes.Span);
            }
            else if (field.Number == 2)
            {
                value = AnyValue(field.Bytes);
            }
        }

        attributes[key] = value;
    }

    // AnyValue: 1 string, 2 bool, 3 int, 4 double; arrays and maps are not read.
    private static string AnyValue(ReadOnlyMemory<byte> anyValue)
    {
        foreach (var field in Protobuf.Fields(anyValue))
        {
            switch (field.Number)
            {
                case 1: return Encoding.UTF8.GetString(field.Bytes.Span);
                case 2: return field.Value != 0 ? "true" : "false";
                case 3: return ((long)field.Value).ToString(System.Globalization.CultureInfo.InvariantCulture);
                case 4: return BitConverter.UInt64BitsToDouble(field.Value).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return "";
    }
}

/// <summary>The protobuf wire format, as far as reading OTLP needs it.</summary>
internal static class Protobuf
{
    /// <summary>One field: a number for varint and fixed fields, bytes for length-delimited ones.</summary>
    public readonly record struct Field(int Number, ulong Value, ReadOnlyMemory<byte> Bytes);

    public static IEnumerable<ReadOnlyMemory<byte>> Messages(ReadOnlyMemory<byte> message, int number) =>
        Fields(message).Where(field => field.Number == number).Select(field => field.Bytes);

    public static IEnumerable<Field> Fields(ReadOnlyMemory<byte> message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var tag = Varint(message.Span, ref position);
            var number = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    yield return new Field(number, Varint(message.Span, ref position), default);
                    break;
                case 1:
                    yield return new Field(number, BitConverter.ToUInt64(message.Span.Slice(position, 8)), default);
                    position += 8;
                    break;
                case 2:
                    var length = (int)Varint(message.Span, ref position);
                    yield return new Field(number, 0, message.Slice(position, length));
                    position += length;
                    break;
                case 5:
                    yield return new Field(number, BitConverter.ToUInt32(message.Span.Slice(position, 4)), default);
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type {tag & 7} for field {number}.");
            }
        }
    }

    private static ulong Varint(ReadOnlySpan<byte> bytes, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var next = bytes[position++];
            value |= (ulong)(next & 0x7F) << shift;
            if ((next & 0x80) == 0)
            {
                return value;
            }
        }
    }
}
