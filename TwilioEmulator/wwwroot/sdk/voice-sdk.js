/**
 * The Twilio emulator's stand-in for `@twilio/voice-sdk` 2.x: a plain ES module, no build step, no dependencies.
 *
 * It implements the subset a softphone page needs to receive calls:
 * - `Device`: `register()`, `unregister()`, `destroy()`, `updateToken()`, `state`, `identity`, `token`, `calls`,
 *   `isBusy`, and the events 'registering', 'registered', 'unregistered', 'error', 'incoming', 'tokenWillExpire'
 *   and 'destroyed';
 * - `Call`: `parameters`, `accept()`, `reject()`, `disconnect()`, `status()`, `mute()`, `isMuted()`, and the events
 *   'accept', 'reject', 'cancel', 'disconnect' and 'mute'.
 * There is no media (mute is local only), no outgoing `device.connect()`, and no audio or preflight API.
 * Signalling goes over the emulator's WebSocket at `/voice/devices`, on the origin this module is served from.
 */

/** A Twilio-style error: `code` is Twilio's error code (20101, 20104, 31005, …). */
class TwilioError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'TwilioError';
    this.code = code;
  }
}

/** A minimal EventEmitter: on/addListener, off/removeListener, once, removeAllListeners, emit. */
class Emitter {
  #listeners = new Map();

  /** Adds a listener. @param {string} event @param {Function} fn @returns {this} */
  on(event, fn) {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), fn]);
    return this;
  }

  /** Adds a listener that is removed after its first call. @param {string} event @param {Function} fn @returns {this} */
  once(event, fn) {
    const wrapper = (...args) => { this.off(event, wrapper); fn.apply(this, args); };
    wrapper.listener = fn;
    return this.on(event, wrapper);
  }

  /** Removes a listener added with on() or once(). @param {string} event @param {Function} fn @returns {this} */
  off(event, fn) {
    const list = [...(this.#listeners.get(event) ?? [])];
    const index = list.findIndex((l) => l === fn || l.listener === fn);
    if (index >= 0) list.splice(index, 1);
    this.#listeners.set(event, list);
    return this;
  }

  addListener(event, fn) { return this.on(event, fn); }
  removeListener(event, fn) { return this.off(event, fn); }
  /** @param {string} [event] Without it, every event's listeners go. */
  removeAllListeners(event) { if (event === undefined) this.#listeners.clear(); else this.#listeners.delete(event); return this; }

  /** Calls each listener; one that throws is reported and does not stop the others. */
  emit(event, ...args) {
    for (const fn of this.#listeners.get(event) ?? []) {
      try { fn.apply(this, args); } catch (error) { console.error(`voice-sdk: '${event}' listener failed`, error); }
    }
    return this;
  }
}

/** One incoming call offered to a {@link Device}. Created by the device; listen to it from the 'incoming' event. */
export class Call extends Emitter {
  static State = Object.freeze({ Pending: 'pending', Open: 'open', Closed: 'closed' });

  #device;
  #status = Call.State.Pending;
  #muted = false;

  /** @param {Device} device @param {string} callSid @param {Record<string, string>} parameters */
  constructor(device, callSid, parameters) {
    super();
    this.#device = device;
    /** @type {Record<string, string>} CallSid, From, To, AccountSid, … as the emulator sent them. */
    this.parameters = Object.freeze({ ...parameters, CallSid: callSid });
  }

  /** @returns {'pending'|'open'|'closed'} */
  status() { return this.#status; }

  /** Answers a ringing call; emits 'accept' with the call. */
  accept() {
    if (this.#status !== Call.State.Pending) return;
    this.#status = Call.State.Open;
    this.#device._send({ type: 'accept', callSid: this.parameters.CallSid });
    this.emit('accept', this);
  }

  /** Declines a ringing call; emits 'reject'. The call ends busy and stops ringing the identity's other devices. */
  reject() {
    if (this.#status !== Call.State.Pending) return;
    this.#device._send({ type: 'reject', callSid: this.parameters.CallSid });
    this._close('reject');
  }

  /** Hangs up; emits 'disconnect' with the call. */
  disconnect() {
    if (this.#status === Call.State.Closed) return;
    this.#device._send({ type: 'hangup', callSid: this.parameters.CallSid });
    this._close('disconnect');
  }

  /** Local only: the emulator carries no audio. Emits 'mute' with (isMuted, call). @param {boolean} [shouldMute=true] */
  mute(shouldMute = true) {
    if (this.#muted === !!shouldMute) return;
    this.#muted = !!shouldMute;
    this.emit('mute', this.#muted, this);
  }

  /** @returns {boolean} */
  isMuted() { return this.#muted; }

  /** @internal Marks the call closed, forgets it in the device, then emits the event. */
  _close(event) {
    if (this.#status === Call.State.Closed) return;
    this.#status = Call.State.Closed;
    this.#device._forget(this);
    this.emit(event, this);
  }
}

/** The default socket: `/voice/devices` on this module's origin, ws for http and wss for https. */
function socketUrl(override) {
  const url = new URL(override ?? '/voice/devices', import.meta.url);
  if (override && url.pathname === '/') url.pathname = '/voice/devices';
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.href;
}

/** The `exp` claim of a JWT, in milliseconds since the epoch, or null. */
function tokenExpiry(token) {
  try {
    const part = String(token).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const exp = JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '='))).exp;
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/** A softphone registered for one client identity; rings with 'incoming' calls. */
export class Device extends Emitter {
  static State = Object.freeze({
    Unregistered: 'unregistered', Registering: 'registering', Registered: 'registered', Destroyed: 'destroyed',
  });

  #options;
  #socket = null;
  #pending = null;
  #calls = new Map();
  #expiryTimer = null;

  /**
   * @param {string} token An AccessToken with a voice grant allowing incoming calls.
   * @param {{tokenRefreshMs?: number, emulatorUrl?: string, allowIncomingWhileBusy?: boolean}} [options]
   *   `tokenRefreshMs` (default 10000): how long before the token's `exp` 'tokenWillExpire' fires; `emulatorUrl`: the
   *   socket URL (or the emulator's base URL); `allowIncomingWhileBusy` (default false): whether calls still ring while
   *   one is open.
   */
  constructor(token, options = {}) {
    super();
    this.#options = { tokenRefreshMs: 10000, ...options, allowIncomingWhileBusy: !!options.allowIncomingWhileBusy };
    /** @type {string} */ this.token = token;
    /** @type {string|null} Set once registered. */ this.identity = null;
    /** @type {string|null} The emulator's id for this registration (DV…), set once registered. */ this.deviceId = null;
    /** @type {string} One of {@link Device.State}. */ this.state = Device.State.Unregistered;
    this.#armExpiry();
  }

  /** @returns {Call[]} The calls not closed yet. */
  get calls() { return [...this.#calls.values()]; }

  /** @returns {boolean} Whether a call is open. */
  get isBusy() { return this.calls.some((call) => call.status() === Call.State.Open); }

  /** Opens the socket and registers the token; resolves once registered, rejects with a TwilioError. @returns {Promise<void>} */
  register() {
    if (this.state === Device.State.Destroyed) return Promise.reject(new TwilioError(31000, 'The device is destroyed'));
    if (this.state === Device.State.Registered) return Promise.resolve();
    if (this.#pending) return this.#pending.promise;
    this.state = Device.State.Registering;
    this.emit('registering');
    this.#pending = {};
    this.#pending.promise = new Promise((resolve, reject) => Object.assign(this.#pending, { resolve, reject }));
    const socket = new WebSocket(socketUrl(this.#options.emulatorUrl));
    this.#socket = socket;
    socket.onopen = () => this._send({
      type: 'register', token: this.token, allowIncomingWhileBusy: this.#options.allowIncomingWhileBusy,
    });
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onclose = () => this.#closed(socket);
    return this.#pending.promise;
  }

  /** Closes the socket: ringing calls are rejected, open ones hung up; emits 'unregistered'. @returns {Promise<void>} */
  async unregister() {
    if (this.state === Device.State.Destroyed || this.state === Device.State.Unregistered) return;
    this.#hangUpAll();
    this.#drop(new TwilioError(31000, 'Unregistered before registration finished'));
    this.state = Device.State.Unregistered;
    this.emit('unregistered');
  }

  /** Unregisters for good and stops the expiry timer; emits 'destroyed'. */
  destroy() {
    if (this.state === Device.State.Destroyed) return;
    this.#hangUpAll();
    this.#drop(new TwilioError(31000, 'The device is destroyed'));
    clearTimeout(this.#expiryTimer);
    this.state = Device.State.Destroyed;
    this.emit('destroyed');
  }

  /** Replaces the token, re-arms 'tokenWillExpire' and, when connected, sends it to the emulator. @param {string} token */
  updateToken(token) {
    this.token = token;
    this.#armExpiry();
    this._send({ type: 'updateToken', token });
  }

  /** @internal */
  _send(message) {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  /** @internal */
  _forget(call) { this.#calls.delete(call.parameters.CallSid); }

  #receive(data) {
    let message;
    try { message = JSON.parse(data); } catch { return; } // The emulator sends only JSON; ignore anything else.
    const call = this.#calls.get(message.callSid);
    switch (message.type) {
      case 'registered':
        this.identity = message.identity;
        this.deviceId = message.deviceId;
        this.state = Device.State.Registered;
        this.#pending?.resolve();
        this.#pending = null;
        this.emit('registered');
        break;
      case 'error': {
        const error = new TwilioError(message.code, message.message);
        if (this.#pending) {
          // The emulator refused the token and closes the socket.
          this.#drop(error);
          this.state = Device.State.Unregistered;
        }
        this.emit('error', error);
        break;
      }
      case 'incoming': {
        if (call || !message.callSid) break;
        // As @twilio/voice-sdk: an invite while a call is open is ignored unless the page asked for it.
        if (this.isBusy && !this.#options.allowIncomingWhileBusy) break;
        const incoming = new Call(this, message.callSid, message.parameters ?? {});
        this.#calls.set(message.callSid, incoming);
        this.emit('incoming', incoming);
        break;
      }
      case 'cancel': call?._close('cancel'); break;
      case 'disconnect': call?._close('disconnect'); break;
      case 'tokenUpdated': break;
    }
  }

  /** The socket closed without unregister(): the device is unregistered and says so. */
  #closed(socket) {
    if (socket !== this.#socket) return;
    const error = new TwilioError(31005, 'Connection error');
    this.#socket = null;
    this.#pending?.reject(error);
    this.#pending = null;
    for (const call of this.calls) call._close(call.status() === Call.State.Pending ? 'cancel' : 'disconnect');
    const wasRegistered = this.state === Device.State.Registered;
    this.state = Device.State.Unregistered;
    if (wasRegistered) this.emit('unregistered');
    this.emit('error', error);
  }

  /** Closes the socket on purpose and fails a pending register() with the error. */
  #drop(error) {
    const socket = this.#socket;
    this.#socket = null;
    socket?.close();
    this.#pending?.reject(error);
    this.#pending = null;
  }

  #hangUpAll() {
    for (const call of this.calls) {
      if (call.status() === Call.State.Pending) call.reject(); else call.disconnect();
    }
  }

  #armExpiry() {
    clearTimeout(this.#expiryTimer);
    const expires = tokenExpiry(this.token);
    if (expires === null || this.state === Device.State.Destroyed) return;
    const delay = Math.min(Math.max(0, expires - this.#options.tokenRefreshMs - Date.now()), 2 ** 31 - 1);
    this.#expiryTimer = setTimeout(() => this.emit('tokenWillExpire', this), delay);
  }
}

export default Device;
