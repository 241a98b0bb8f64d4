// A softphone page's logic, written only against the @twilio/voice-sdk 2.x surface: it registers,
// accepts the first incoming call and reports what happens, one line per event.
// Browsers have WebSocket; Node versions without a global one get the ws package.
globalThis.WebSocket ??= (await import('ws')).WebSocket;
const { Device } = await import(process.env.VOICE_SDK_URL);

const device = new Device(process.env.ACCESS_TOKEN, { emulatorUrl: process.env.EMULATOR_URL });
device.on('registered', () => console.log(`registered ${device.identity}`));
device.on('error', (error) => {
  console.log(`error ${error.code}`);
  process.exit(2);
});
device.on('incoming', (call) => {
  console.log(`incoming ${call.parameters.CallSid} from ${call.parameters.From}`);
  call.on('accept', () => console.log('accepted'));
  call.on('disconnect', () => {
    console.log('disconnected');
    device.destroy();
    process.exit(0);
  });
  call.accept();
});

await device.register().catch(() => {});
