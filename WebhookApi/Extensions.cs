using WarmTransfer.CallCenter;
using WarmTransfer.CallCenter.Telephony;

namespace WarmTransfer.WebhookApi;

public static class Extensions
{
    public static IHostApplicationBuilder AddWebhookApiServices(this IHostApplicationBuilder builder)
    {
        builder.AddCallCenterInfrastructure();
        builder.AddTwilioOptions(TwilioSecret.AuthToken);
        builder.Services.AddProblemDetails();
        return builder;
    }
}
