using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WarmTransfer.AgentPortal.Agents;
using WarmTransfer.AgentPortal.Live;
using WarmTransfer.CallCenter;
using WarmTransfer.CallCenter.Telephony;

namespace WarmTransfer.AgentPortal;

public static class Extensions
{
    public static IHostApplicationBuilder AddAgentPortalServices(this IHostApplicationBuilder builder)
    {
        builder.AddCallCenterInfrastructure();
        builder.AddTwilioOptions(TwilioSecret.ApiKeySecret);
        builder.Services.AddOptions<PortalOptions>().BindConfiguration(PortalOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<AgentDirectoryOptions>().BindConfiguration(AgentDirectoryOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();

        builder.AddSharedDataProtection();
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(options =>
            {
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Strict;
                options.ExpireTimeSpan = TimeSpan.FromHours(10);
                // An API answers 401/403, it does not redirect to a login page.
                options.Events.OnRedirectToLogin = context => Respond(context.Response, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => Respond(context.Response, StatusCodes.Status403Forbidden);
            });
        builder.Services.AddAuthorization();
        builder.AddSignInProtection();
        builder.Services.AddAntiforgery(options => options.HeaderName = "X-CSRF-TOKEN");
        builder.Services.AddProblemDetails();

        builder.Services.AddSignalR().AddStackExchangeRedis(
            builder.Configuration.GetConnectionString(ConnectionNames.Redis) ?? string.Empty,
            options => options.Configuration.ChannelPrefix = RedisChannel.Literal("wt:portal"));
        builder.Services.AddSingleton<AgentViews>();
        builder.Services.AddHostedService<AgentUpdateConsumer>();
        return builder;
    }

    /// <summary>
    /// Sign-in's defences: a token bucket per client address (in each replica), lockouts per agent id and per address (in
    /// Redis, shared), and the client address taken from <c>X-Forwarded-For</c> only when a trusted proxy (loopback, or
    /// <c>Portal:KnownProxies</c>) sent it.
    /// </summary>
    private static void AddSignInProtection(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SignInOptions>().BindConfiguration(SignInOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<SignInGuard>();
        builder.Services.AddSingleton<AgentCredentials>();
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var proxy in builder.Configuration.GetSection("Portal:KnownProxies").Get<string[]>() ?? [])
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        });
        builder.Services.AddRateLimiter(options =>
        {
            options.AddPolicy(AccountApi.SignInRateLimit, http =>
            {
                var settings = http.RequestServices.GetRequiredService<IOptions<SignInOptions>>().Value;
                return RateLimitPartition.GetTokenBucketLimiter(AccountApi.ClientAddress(http), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = settings.AddressBurst,
                    TokensPerPeriod = 1,
                    ReplenishmentPeriod = TimeSpan.FromMinutes(1) / settings.AddressRequestsPerMinute,
                    QueueLimit = 0,
                });
            });
            options.OnRejected = (context, _) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                return new ValueTask(AccountApi.TooManyAttempts(context.HttpContext.Response, retryAfter).ExecuteAsync(context.HttpContext));
            };
        });
    }

    /// <summary>
    /// Every portal replica signs cookies and anti-forgery tokens with the same keys, kept in Redis,
    /// so an agent's requests may land on any replica.
    /// </summary>
    private static void AddSharedDataProtection(this IHostApplicationBuilder builder)
    {
        builder.Services.AddDataProtection().SetApplicationName("WarmTransfer.AgentPortal");
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>((options, redis) =>
            options.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), "wt:portal:data-protection-keys"));
    }

    private static Task Respond(HttpResponse response, int statusCode)
    {
        response.StatusCode = statusCode;
        return Task.CompletedTask;
    }
}
