using WarmTransfer.CallCenter;
using WarmTransfer.CallCenter.Telephony;
using WarmTransfer.CallCenter.Waiting;

namespace WarmTransfer.WebhookApi;

public static class Extensions
{
    public static IHostApplicationBuilder AddWebhookApiServices(this IHostApplicationBuilder builder)
    {
        // A Redis command waits 2 s at most: a webhook that meets a failover is tried again in time for Twilio.
        builder.AddCallCenterInfrastructure(RedisFailoverRetry.RedisTimeout);
        builder.AddTwilioOptions(TwilioSecret.AuthToken);
        builder.Services.AddProblemDetails();
        // What waiting callers hear: only the webhook answers their wait TwiML.
        builder.Services.AddOptions<QueueOptions>().BindConfiguration(QueueOptions.Section).ValidateDataAnnotations()
            .Validate(queue => queue.MinimumSamples <= queue.EstimateSamples, "Queue:MinimumSamples must not be more than Queue:EstimateSamples.")
            .ValidateOnStart();
        builder.Services.AddSingleton<WaitPrompts>();
        builder.Services.AddSingleton<CallbackOffers>();
        return builder;
    }
}
