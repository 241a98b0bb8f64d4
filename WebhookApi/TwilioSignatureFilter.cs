using Microsoft.Extensions.Options;
using Twilio.Security;
using WarmTransfer.CallCenter.Telephony;

namespace WarmTransfer.WebhookApi;

/// <summary>
/// Rejects (403) any request whose X-Twilio-Signature does not match the public URL Twilio called, as
/// configured in <see cref="TwilioOptions.WebhookBaseUrl"/>, never the Host header this service happens to see.
/// </summary>
public sealed class TwilioSignatureFilter(IOptions<TwilioOptions> options, ILogger<TwilioSignatureFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        // The exact text, unnormalised: the signature covers the URL as Twilio requested it.
        var url = options.Value.Url($"{request.Path}{request.QueryString}").OriginalString;
        var parameters = request.HasFormContentType
            ? (await request.ReadFormAsync(context.HttpContext.RequestAborted)).ToDictionary(f => f.Key, f => f.Value.ToString())
            : [];

        var signature = request.Headers["X-Twilio-Signature"].ToString();

        if (signature.Length == 0 || !new RequestValidator(options.Value.AuthToken).Validate(url, parameters, signature))
        {
            logger.LogWarning("Rejected a request to {Path} with a missing or wrong Twilio signature", request.Path);
            return TypedResults.Problem("The X-Twilio-Signature header does not match this request.", statusCode: StatusCodes.Status403Forbidden);
        }

        return await next(context);
    }
}
