using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace WarmTransfer.TwilioEmulator.Rest;

/// <summary>A JSON answer of the REST API; the request log reads its body.</summary>
public sealed class TwilioJsonResult(int statusCode, JsonNode? body) : IResult
{
    // Twilio writes "+15551234567", not "\u002B15551234567": clients comparing raw bodies expect that.
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public int StatusCode { get; } = statusCode;

    public string Body { get; } = body?.ToJsonString(Json) ?? string.Empty;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCode;
        if (Body.Length > 0)
        {
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            await httpContext.Response.WriteAsync(Body);
        }
    }
}

public static class TwilioResults
{
    public static TwilioJsonResult Ok(JsonNode body) => new(StatusCodes.Status200OK, body);

    public static TwilioJsonResult Created(JsonNode body) => new(StatusCodes.Status201Created, body);

    public static TwilioJsonResult NoContent() => new(StatusCodes.Status204NoContent, null);

    /// <summary>Twilio's error body: code, message, more_info, status.</summary>
    public static TwilioJsonResult Error(int status, int code, string message) => new(status, new JsonObject
    {
        ["code"] = code,
        ["message"] = message,
        ["more_info"] = $"https://www.twilio.com/docs/errors/{code}",
        ["status"] = status,
    });

    public static TwilioJsonResult NotFound(string path) =>
        Error(StatusCodes.Status404NotFound, 20404, $"The requested resource {path} was not found");

    public static TwilioJsonResult Invalid(int code, string message) => Error(StatusCodes.Status400BadRequest, code, message);
}
