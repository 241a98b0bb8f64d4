namespace WarmTransfer.DialerWorker;

public static class Extensions
{
    public static IHostApplicationBuilder AddDialerServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DialerOptions>().BindConfiguration(DialerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<DialPacer>();
        builder.Services.AddHostedService<DialRequestConsumer>();
        return builder;
    }
}
