using System.Security.Claims;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WarmTransfer.AgentPortal.Agents;
using WarmTransfer.AgentPortal.Live;
using WarmTransfer.AgentPortal.Wallboard;
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
        if (builder.Configuration[AgentDirectoryOptions.FileKey] is { Length: > 0 } directoryFile)
        {
            builder.Services.AddSingleton(services => new AgentDirectoryFile(
                directoryFile, services.GetRequiredService<ILoggerFactory>().CreateLogger<AgentDirectoryFile>(), TimeProvider.System));
            builder.Services.AddSingleton<IPostConfigureOptions<AgentDirectoryOptions>>(services => services.GetRequiredService<AgentDirectoryFile>());
            builder.Services.AddSingleton<IOptionsChangeTokenSource<AgentDirectoryOptions>>(services => services.GetRequiredService<AgentDirectoryFile>());
        }

        builder.AddSharedDataProtection();
        builder.AddAgentSessions();
        // The wallboard is a supervisor's: the directory says who is one now, so a change applies at the next request.
        builder.Services.AddAuthorizationBuilder().AddPolicy(AgentRoles.SupervisorPolicy, policy => policy.RequireAuthenticatedUser()
            .RequireAssertion(context => context.User.FindFirstValue(ClaimTypes.NameIdentifier) is { } id
                && (context.Resource as HttpContext ?? (context.Resource as Microsoft.AspNetCore.SignalR.HubInvocationContext)?.Context.GetHttpContext())
                    ?.RequestServices.GetRequiredService<IOptionsMonitor<AgentDirectoryOptions>>().CurrentValue.Find(id) is { IsSupervisor: true }));
        builder.AddSignInProtection();
        builder.Services.AddAntiforgery(options =>
        {
            options.HeaderName = "X-CSRF-TOKEN";
            options.Cookie.Name = CookieName(builder, "wt-antiforgery");
            options.Cookie.SecurePolicy = CookieSecurity(builder);
        });
        builder.Services.AddProblemDetails();

        builder.Services.AddSignalR(options => options.AddFilter<AgentSessions.HubFilter>()).AddStackExchangeRedis(
            builder.Configuration.GetConnectionString(ConnectionNames.Redis) ?? string.Empty,
            options => options.Configuration.ChannelPrefix = RedisChannel.Literal("wt:portal"));
        builder.Services.AddSingleton<AgentViews>();
        builder.Services.AddHostedService<AgentUpdateConsumer>();
        builder.Services.AddSingleton<ColleagueBroadcaster>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ColleagueBroadcaster>());
        builder.Services.AddSingleton<WallboardFigures>();
        builder.Services.AddSingleton<WallboardBroadcaster>();
        builder.Services.AddHostedService(services => services.GetRequiredService<WallboardBroadcaster>());
        return builder;
    }

    /// <summary>
    /// Cookie sign-in backed by a session record (<see cref="AgentSessions"/>) checked on every request. The cookie lives as long
    /// as the session, from sign-in, however active the agent is. Outside Development the cookie is <c>__Host-</c> and Secure;
    /// in Development it is Secure whenever the request came over https (directly or through a trusted proxy).
    /// </summary>
    private static void AddAgentSessions(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AgentSessions>();
        // Listens for ended sessions before the portal takes its first request.
        builder.Services.AddHostedService(services => services.GetRequiredService<AgentSessions>());
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        builder.Services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<PortalOptions>>((options, portal) =>
            {
                options.Cookie.Name = CookieName(builder, "wt-session");
                options.Cookie.SecurePolicy = CookieSecurity(builder);
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Strict;
                options.ExpireTimeSpan = portal.Value.SessionLifetime;
                options.SlidingExpiration = false;
                options.Events.OnValidatePrincipal = async context =>
                {
                    if (context.Principal is null || !await context.HttpContext.RequestServices.GetRequiredService<AgentSessions>().IsCurrentAsync(context.Principal))
                    {
                        context.RejectPrincipal();
                        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                    }
                };
                // An API answers 401/403, it does not redirect to a login page.
                options.Events.OnRedirectToLogin = async context =>
                {
                    await LogUnreadableCookieAsync(context);
                    await Respond(context.Response, StatusCodes.Status401Unauthorized);
                };
                options.Events.OnRedirectToAccessDenied = context => Respond(context.Response, StatusCodes.Status403Forbidden);
            });
    }

    /// <summary>
    /// A sign-in cookie that was sent but could not be read (altered, or sealed with a key this replica's key ring lacks) says so
    /// in the log: the agent only sees that they must sign in again. A session that ended is logged where it is refused.
    /// </summary>
    private static async Task LogUnreadableCookieAsync(RedirectContext<CookieAuthenticationOptions> context)
    {
        if (!context.Request.Cookies.ContainsKey(context.Options.Cookie.Name!))
        {
            return;
        }

        var result = await context.HttpContext.AuthenticateAsync(context.Scheme.Name);
        if (result.Failure is { } failure && result.Principal is null && failure.Message != NoPrincipal)
        {
            context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AgentSessions))
                .LogWarning("A sign-in cookie sent to {Path} could not be read: {Reason}", context.Request.Path, failure.Message);
        }
    }

    // What the cookie handler says of a cookie whose session was refused (logged by AgentSessions), not of an unreadable one.
    private const string NoPrincipal = "No principal.";

    private static string CookieName(IHostApplicationBuilder builder, string name) =>
        builder.Environment.IsDevelopment() ? name : $"__Host-{name}";

    private static CookieSecurePolicy CookieSecurity(IHostApplicationBuilder builder) =>
        builder.Environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;

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
    /// Every portal replica signs cookies and anti-forgery tokens with the same keys, kept in Redis encrypted with the key-ring
    /// secret, so an agent's requests may land on any replica and nobody who only reads Redis can forge them.
    /// </summary>
    public static void AddSharedDataProtection(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<KeyRingOptions>().BindConfiguration(KeyRingOptions.Section)
            .Validate(options => options.Secret.Length >= KeyRingOptions.MinimumSecretLength,
                $"{KeyRingOptions.Section}:Secret must be a secret of at least {KeyRingOptions.MinimumSecretLength} characters: it encrypts the portal's keys in Redis.")
            .ValidateOnStart();
        builder.Services.AddDataProtection().SetApplicationName("WarmTransfer.AgentPortal");
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer, IOptions<KeyRingOptions>>((options, redis, keyRing) =>
        {
            options.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), "wt:portal:data-protection-keys");
            options.XmlEncryptor = new KeyRingEncryptor(keyRing);
        });
        // Before every other hosted service: data protection's own reads the key ring at start, and makes a key of its own when
        // it finds none.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService, FirstKey>());
    }

    /// <summary>
    /// The page's Content-Security-Policy: its own files, plus the emulator's SDK and socket in emulator mode, or Twilio's voice
    /// services (signalling, event gateway, ringtones) against the real Twilio. No inline script anywhere.
    /// </summary>
    public static WebApplication UsePortalSecurityHeaders(this WebApplication app)
    {
        var twilio = app.Services.GetRequiredService<IOptions<TwilioOptions>>().Value;
        var policy = twilio.ApiBaseUrl is { Length: > 0 } emulator && Uri.TryCreate(emulator, UriKind.Absolute, out var uri)
            ? SecurityHeaders.ContentSecurityPolicy(
                ("script-src", uri.GetLeftPart(UriPartial.Authority)),
                ("connect-src", $"{uri.GetLeftPart(UriPartial.Authority)} {(uri.Scheme == "https" ? "wss" : "ws")}://{uri.Authority}"))
            : SecurityHeaders.ContentSecurityPolicy(
                ("connect-src", "https://*.twilio.com wss://*.twilio.com"),
                ("media-src", "https://*.twilio.com blob:"));
        app.UseSecurityHeaders(policy);
        return app;
    }

    /// <summary>
    /// The agent hub answers only pages of the portal's own origin: a browser on another site cannot open it with the agent's
    /// cookie. (Clients that are not browsers send no Origin and are judged by their sign-in alone.)
    /// </summary>
    public static WebApplication UseAgentHubOriginCheck(this WebApplication app)
    {
        // Every hub (the agents' and the wallboard's) answers only the portal's own pages.
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/hubs"), hub => hub.Use(async (http, next) =>
        {
            var origin = http.Request.Headers.Origin.ToString();
            if (origin.Length > 0 && !string.Equals(origin, $"{http.Request.Scheme}://{http.Request.Host}", StringComparison.OrdinalIgnoreCase))
            {
                await TypedResults.Problem("The portal's hubs answer only the portal's own pages.", statusCode: StatusCodes.Status403Forbidden)
                    .ExecuteAsync(http);
                return;
            }

            await next(http);
        }));
        return app;
    }

    private static Task Respond(HttpResponse response, int statusCode)
    {
        response.StatusCode = statusCode;
        return Task.CompletedTask;
    }
}
