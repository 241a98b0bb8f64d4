using Microsoft.Extensions.Options;
using WarmTransfer.CallCenter.Figures;
using WarmTransfer.CallCenter.Messaging;

namespace WarmTransfer.DialerWorker;

public static class Extensions
{
    public static IHostApplicationBuilder AddDialerServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DialerOptions>().BindConfiguration(DialerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<DialPacer>();
        builder.Services.AddSingleton<ICallControl, TwilioCallControl>();
        builder.AddSubscription<DialRequest, DialRequestHandler>(WorkQueueTopology.DialQueue,
            prefetch: services => (ushort)services.GetRequiredService<IOptions<DialerOptions>>().Value.DialsAtOnce);
        builder.AddSubscription<CallCommand, CallCommandHandler>(WorkQueueTopology.CommandQueue, prefetch: 16);
        builder.Services.AddSingleton<LegCheck>();
        builder.Services.AddHostedService<SessionReconciler>();
        builder.Services.AddHostedService<AgentTimers>();
        builder.Services.AddHostedService<CallbackTimer>();
        // The figures are counted once, by the workers.
        builder.Services.AddHostedService<ContactFigures>();
        return builder;
    }
}
