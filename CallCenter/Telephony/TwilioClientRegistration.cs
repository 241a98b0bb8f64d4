using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Twilio.Clients;
using Twilio.Http;

namespace WarmTransfer.CallCenter.Telephony;

public static class TwilioClientRegistration
{
    /// <summary>A Twilio request that has not answered by then failed (and may be retried by the dial worker).</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The account's settings, validated at start, with the <paramref name="secret"/> this service needs.</summary>
    public static IHostApplicationBuilder AddTwilioOptions(this IHostApplicationBuilder builder, TwilioSecret secret)
    {
        builder.Services.AddOptions<TwilioOptions>().BindConfiguration(TwilioOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(options => (secret == TwilioSecret.AuthToken ? options.AuthToken : options.ApiKeySecret).Length > 0,
                $"Twilio:{secret} is required.")
            // Twilio signs the URL it calls, and the auth token travels in the signature's key: outside a developer's machine
            // that URL is https.
            .Validate(options => builder.Environment.IsDevelopment() || options.WebhookBaseUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase),
                "Twilio:WebhookBaseUrl must be an https address outside Development.")
            .ValidateOnStart();
        return builder;
    }

    /// <summary>
    /// One <see cref="ITwilioRestClient"/> for the service, authenticated with the API key. With an
    /// <see cref="TwilioOptions.ApiBaseUrl"/> its requests are rewritten to that host (the emulator).
    /// </summary>
    public static IHostApplicationBuilder AddTwilioRestClient(this IHostApplicationBuilder builder)
    {
        builder.AddTwilioOptions(TwilioSecret.ApiKeySecret);
        builder.Services.AddSingleton<ITwilioRestClient>(services =>
        {
            var options = services.GetRequiredService<IOptions<TwilioOptions>>();
            // Not the factory's client: its standard resilience handler would retry a POST that creates a call.
            // Retries of Twilio requests belong to the dial worker, which knows what is safe to repeat.
            var http = new System.Net.Http.HttpClient(new ApiHostRewriter(options) { InnerHandler = new RetryAfterReader { InnerHandler = new SocketsHttpHandler() } })
            {
                Timeout = RequestTimeout,
            };
            return new TwilioRestClient(options.Value.ApiKeySid, options.Value.ApiKeySecret, accountSid: options.Value.AccountSid,
                httpClient: new SystemNetHttpClient(http));
        });
        return builder;
    }

    /// <summary>Hands a 429's Retry-After to the <see cref="RetryAfterScope"/> of the request (the SDK's exception drops headers).</summary>
    private sealed class RetryAfterReader : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (RetryAfterScope.Current is { } scope && response.Headers.RetryAfter is { } retryAfter)
            {
                scope.RetryAfter = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : null);
            }

            return response;
        }
    }

    /// <summary>The SDK always calls https://api.twilio.com; this sends its requests to the configured host instead.</summary>
    private sealed class ApiHostRewriter(IOptions<TwilioOptions> options) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (options.Value.ApiBaseUrl is { Length: > 0 } baseUrl && request.RequestUri is { } uri)
            {
                var target = new Uri(baseUrl);
                request.RequestUri = new UriBuilder(uri) { Scheme = target.Scheme, Host = target.Host, Port = target.Port }.Uri;
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
