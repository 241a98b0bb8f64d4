using WarmTransfer.WebhookApi;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddWebhookApiServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseTwilioRequests();
app.MapHoldMusic();
app.MapVoiceWebhooks();

app.Run();
