using Microsoft.AspNetCore.Authentication.Cookies;
using WarmTransfer.AgentPortal.Agents;
using WarmTransfer.CallCenter;
using WarmTransfer.CallCenter.Telephony;

namespace WarmTransfer.AgentPortal;

public static class Extensions
{
    public static IHostApplicationBuilder AddAgentPortalServices(this IHostApplicationBuilder builder)
    {
        builder.AddCallCenterInfrastructure();
        builder.AddTwilioRestClient();
        builder.Services.AddOptions<AgentDirectoryOptions>().BindConfiguration(AgentDirectoryOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
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
        return builder;
    }

    private static Task Respond(HttpResponse response, int statusCode)
    {
        response.StatusCode = statusCode;
        return Task.CompletedTask;
    }
}
