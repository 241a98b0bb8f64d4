// A softphone written only against the @twilio/voice-sdk 2.x surface that prints one line per device and call event
// ("registering", "registered", "unregistered", "error 31005", "incoming CA…", "accept CA…", "cancel CA…", …) and
// answers each incoming call as ON_INCOMING says: accept, reject, or nothing. Once first registered it hands the
// device NEXT_TOKEN, if set, as a page does on tokenWillExpire. It runs until it is stopped.
// Browsers have WebSocket; Node versions without a global one get the ws package.
globalThis.WebSocket ??= (await import('ws')).WebSocket;
const { Device } = await import(process.env.VOICE_SDK_URL);

const device = new Device(process.env.ACCESS_TOKEN, {
  emulatorUrl: process.env.EMULATOR_URL,
  allowIncomingWhileBusy: process.env.ALLOW_INCOMING_WHILE_BUSY === 'true',
});
for (const event of ['registering', 'registered', 'unregistered']) device.on(event, () => console.log(event));
if (process.env.NEXT_TOKEN) device.once('registered', () => device.updateToken(process.env.NEXT_TOKEN));
device.on('error', (error) => console.log(`error ${error.code}`));
device.on('incoming', (call) => {
  const sid = call.parameters.CallSid;
  console.log(`incoming ${sid}`);
  for (const event of ['accept', 'reject', 'cancel', 'disconnect']) call.on(event, () => console.log(`${event} ${sid}`));
  if (process.env.ON_INCOMING === 'accept') call.accept();
  if (process.env.ON_INCOMING === 'reject') call.reject();
});

await device.register().catch(() => {});
