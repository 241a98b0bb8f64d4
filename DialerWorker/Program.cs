using WarmTransfer.CallCenter;
using WarmTransfer.CallCenter.Telephony;
using WarmTransfer.DialerWorker;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCallCenterInfrastructure();
builder.AddTwilioRestClient();
builder.AddDialerServices();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
