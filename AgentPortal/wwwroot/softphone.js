/**
 * The one place the page touches a voice SDK. With real Twilio it loads `@twilio/voice-sdk`'s bundle (served by the
 * portal from npm, `window.Twilio.Device`); with the emulator it imports the emulator's device module. Both have the
 * same surface, so the page code is the same in both modes.
 */

/** @param {{mode: 'twilio'|'emulator', sdkUrl: string, tokenRefreshMs: number}} configuration @returns {Promise<Function>} The Device class. */
async function loadDevice(configuration) {
  if (configuration.mode === 'emulator') {
    return (await import(configuration.sdkUrl)).Device;
  }
  if (!window.Twilio?.Device) {
    await new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = configuration.sdkUrl;
      script.onload = resolve;
      script.onerror = () => reject(new Error('The voice SDK could not be loaded'));
      document.head.append(script);
    });
  }
  return window.Twilio.Device;
}

/** Token errors after which the SDK stops for good: invalid (20101), expired (20104), authentication failed (20151). */
export const FATAL_TOKEN_ERRORS = new Set([20101, 20104, 20151]);

/**
 * A registered softphone. `onState(state, reason, code)` gets connecting, ready, offline or error (with Twilio's error
 * code); `onIncoming(call)` a ringing call (with accept(), reject(), disconnect() and the events accept, cancel, disconnect,
 * reject). A drop is not the end: the SDK registers again by itself.
 * @param {{configuration: object, fetchToken: () => Promise<string>, onState: Function, onIncoming: Function}} options
 */
export async function startSoftphone({ configuration, fetchToken, onState, onIncoming }) {
  onState('connecting');
  const Device = await loadDevice(configuration);
  const device = new Device(await fetchToken(), { closeProtection: true, tokenRefreshMs: configuration.tokenRefreshMs });
  device.on('registering', () => onState('connecting'));
  device.on('registered', () => onState('ready'));
  device.on('unregistered', () => onState('offline'));
  device.on('error', (error) => onState('error', error?.message ?? String(error), error?.code));
  device.on('incoming', (call) => onIncoming(call));
  device.on('tokenWillExpire', async () => {
    try {
      device.updateToken(await fetchToken());
    } catch (error) {
      onState('error', `The token could not be renewed: ${error.message}`);
    }
  });
  try {
    await device.register();
  } catch (error) {
    onState('error', error?.message ?? String(error));
  }
  return device;
}
