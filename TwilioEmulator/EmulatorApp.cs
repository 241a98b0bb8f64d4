using WarmTransfer.TwilioEmulator.Admin;
using WarmTransfer.TwilioEmulator.Clients;
using WarmTransfer.TwilioEmulator.Delivery;
using WarmTransfer.TwilioEmulator.Model;
using WarmTransfer.TwilioEmulator.Rest;
using WarmTransfer.TwilioEmulator.Voice;

namespace WarmTransfer.TwilioEmulator;

public static class EmulatorApp
{
    /// <summary>The emulator as a web application; tests build it with their own configuration.</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddEmulatorServices();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.UseSecurityHeaders(SecurityHeaders.ContentSecurityPolicy());
        app.UseAdminFromThisMachineOnly();
        app.UseWebSockets();
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            // Softphone pages on other origins (the agent portal) import /sdk/voice-sdk.js as a module.
            OnPrepareResponse = context =>
            {
                if (context.Context.Request.Path.StartsWithSegments("/sdk"))
                {
                    context.Context.Response.Headers.AccessControlAllowOrigin = "*";
                }
            },
        });
        app.MapTwilioRestApi();
        app.MapDeviceEndpoints();
        app.MapAdminApi();
        return app;
    }

    public static IHostApplicationBuilder AddEmulatorServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EmulatorOptions>().BindConfiguration(EmulatorOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<EmulatorTimingOptions>().BindConfiguration(EmulatorTimingOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EmulatorState>();
        builder.Services.AddHostedService<EndedStatePruner>();
        builder.Services.AddSingleton<EventLog>();
        builder.Services.AddSingleton<AnswerRules>();
        builder.Services.AddSingleton<FaultInjector>();
        builder.Services.AddSingleton<AccessTokenValidator>();
        builder.Services.AddSingleton<DeviceHub>();
        builder.Services.AddSingleton<VoiceMedia>();
        builder.Services.AddSingleton<ParticipantAudio>();
        builder.Services.AddSingleton<StatusCallbacks>();
        builder.Services.AddSingleton<ConferenceEngine>();
        builder.Services.AddSingleton<CallLifecycle>();
        builder.Services.AddSingleton<CallRinging>();
        builder.Services.AddSingleton<TwimlInterpreter>();
        builder.Services.AddSingleton<CallEngine>();

        builder.Services.AddSingleton<WebhookClient>();
        builder.Services.AddSingleton<SeededRandom>();
        builder.Services.AddSingleton<CallbackDelivery>();
        return builder;
    }
}
