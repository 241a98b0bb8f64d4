using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
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
        builder.AddTwilioOptions();
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
