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
 * As the SDK does, a device whose signalling drops says 'unregistered', reconnects by itself with backoff and says
 * 'registering' and 'registered' again; a call it answered goes on meanwhile. Token errors 20101, 20104, 20151 and 20157, and
 * the emulator's close code 4000 (the device was removed), end that: it stays unregistered.
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

  /** Hangs up (while the signalling is down, once it is back); emits 'disconnect' with the call. */
  disconnect() {
    if (this.#status === Call.State.Closed) return;
    this.#device._hangUp(this.parameters.CallSid);
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

/** The emulator closes a device's socket with this code when it removed the device for good: no reconnection. */
const CLOSE_REMOVED = 4000;

/** The emulator closes with this code after refusing a token, or when the token expired. */
const CLOSE_POLICY_VIOLATION = 1008;

/** Token errors after which @twilio/voice-sdk stops registering: invalid, expired, authentication failed. */
const FATAL_ERRORS = new Set([20101, 20104, 20151, 20157]);

/** The first reconnection attempt comes this soon after a drop; each next one twice as late, up to `backoffMaxMs`. */
const FIRST_RETRY_MS = 100;

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
  /** True from a signalling drop until registered again, or until reconnecting stops. */
  #reconnecting = false;
  #retryTimer = null;
  #retryDelay = 0;
  /** A fatal token error that came on this socket: when it closes, the device does not reconnect. */
  #fatalError = null;
  /** Calls hung up while the signalling was down: taken back and hung up once registered again. */
  #hungUpOffline = new Set();

  /**
   * @param {string} token An AccessToken with a voice grant allowing incoming calls.
   * @param {{tokenRefreshMs?: number, emulatorUrl?: string, allowIncomingWhileBusy?: boolean, backoffMaxMs?: number}} [options]
   *   `tokenRefreshMs` (default 10000): how long before the token's `exp` 'tokenWillExpire' fires; `emulatorUrl`: the
   *   socket URL (or the emulator's base URL); `allowIncomingWhileBusy` (default false): whether calls still ring while
   *   one is open; `backoffMaxMs` (default 2000): the longest wait between reconnection attempts.
   */
  constructor(token, options = {}) {
    super();
    this.#options = {
      tokenRefreshMs: 10000, backoffMaxMs: 2000, ...options, allowIncomingWhileBusy: !!options.allowIncomingWhileBusy,
    };
    /** @type {string} */ this.token = token;
    /** @type {string|null} Set once registered. */ this.identity = null;
    /** @type {string|null} The emulator's id for this registration (DV…), set once registered; a new one after a reconnection. */
    this.deviceId = null;
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
    this.#pending = {};
    this.#pending.promise = new Promise((resolve, reject) => Object.assign(this.#pending, { resolve, reject }));
    if (this.#reconnecting) {
      // On its way back already: try now rather than after the backoff.
      if (this.#retryTimer !== null) {
        clearTimeout(this.#retryTimer);
        this.#retryTimer = null;
        this.#connect();
      }
      return this.#pending.promise;
    }
    this.#setState(Device.State.Registering);
    this.#connect();
    return this.#pending.promise;
  }

  /** Closes the socket: ringing calls are rejected, open ones hung up; emits 'unregistered'. @returns {Promise<void>} */
  async unregister() {
    if (this.state === Device.State.Destroyed) return;
    if (this.state === Device.State.Unregistered && !this.#reconnecting) return;
    this.#hangUpAll();
    this.#stop(new TwilioError(31000, 'Unregistered before registration finished'));
  }

  /** Unregisters for good and stops the expiry timer; emits 'destroyed'. */
  destroy() {
    if (this.state === Device.State.Destroyed) return;
    this.#hangUpAll();
    this.#stop(new TwilioError(31000, 'The device is destroyed'));
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

  /** @internal @returns {boolean} Whether it was sent: false while the signalling is down. */
  _send(message) {
    if (this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify(message));
    return true;
  }

  /** @internal A hang-up made while the signalling is down goes out once the device is registered again. */
  _hangUp(callSid) {
    if (!this._send({ type: 'hangup', callSid }) && this.#reconnecting) this.#hungUpOffline.add(callSid);
  }

  /** @internal */
  _forget(call) { this.#calls.delete(call.parameters.CallSid); }

  /** Emits 'registering', 'registered' or 'unregistered' when the state changes to it. */
  #setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit(state);
  }

  /** Opens a socket and registers on it, naming the calls still open so that the emulator gives them back. */
  #connect() {
    const socket = new WebSocket(socketUrl(this.#options.emulatorUrl));
    this.#socket = socket;
    this.#fatalError = null;
    socket.onopen = () => {
      // A reconnection says 'registering' once the signalling is back, as the SDK does.
      this.#setState(Device.State.Registering);
      const open = this.calls.filter((call) => call.status() === Call.State.Open).map((call) => call.parameters.CallSid);
      this._send({
        type: 'register', token: this.token, allowIncomingWhileBusy: this.#options.allowIncomingWhileBusy,
        calls: [...open, ...this.#hungUpOffline],
      });
    };
    socket.onmessage = (event) => this.#receive(event.data);
    // 'close' follows every 'error' and handles it; without a listener Node's ws would throw instead.
    socket.onerror = () => {};
    socket.onclose = (event) => this.#closed(socket, event.code);
  }

  #receive(data) {
    let message;
    try { message = JSON.parse(data); } catch { return; } // The emulator sends only JSON; ignore anything else.
    const call = this.#calls.get(message.callSid);
    switch (message.type) {
      case 'registered':
        this.#registered(message);
        break;
      case 'error': {
        const error = new TwilioError(message.code, message.message);
        if (FATAL_ERRORS.has(error.code)) this.#fatalError = error;
        // A refused registration: the emulator closes the socket, and the device stays unregistered.
        if (this.state === Device.State.Registering) this.#stop(error);
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
      // A token refused by updateToken was replaced by a good one.
      case 'tokenUpdated': this.#fatalError = null; break;
    }
  }

  #registered(message) {
    this.identity = message.identity;
    this.deviceId = message.deviceId;
    // After a drop the emulator gives back the calls that are still live; the others ended meanwhile.
    const resumed = new Set(Array.isArray(message.calls) ? message.calls : []);
    for (const call of this.calls) {
      if (call.status() === Call.State.Open && !resumed.has(call.parameters.CallSid)) call._close('disconnect');
    }
    for (const callSid of this.#hungUpOffline) {
      if (resumed.has(callSid)) this._send({ type: 'hangup', callSid });
    }
    this.#hungUpOffline.clear();
    this.#reconnecting = false;
    this.#retryDelay = 0;
    this.#pending?.resolve();
    this.#pending = null;
    this.#setState(Device.State.Registered);
  }

  /**
   * The socket closed without unregister(). After a network drop the device reconnects with backoff; a first
   * registration that could not connect, a fatal token error, or the emulator removing the device end it.
   */
  #closed(socket, code) {
    if (socket !== this.#socket) return;
    this.#socket = null;
    if (code === CLOSE_REMOVED) {
      this.#stop(new TwilioError(31005, 'The emulator removed this device'));
      return;
    }
    if (this.#fatalError || code === CLOSE_POLICY_VIOLATION) {
      this.#stop(this.#fatalError ?? new TwilioError(31005, 'Connection error'));
      return;
    }
    if (this.state === Device.State.Registered || this.#reconnecting) {
      this.#reconnect();
      return;
    }
    const error = new TwilioError(31005, 'Connection error');
    this.#stop(error);
    this.emit('error', error);
  }

  /** A signalling drop: ringing calls are withdrawn, open ones go on; the next attempt is scheduled. */
  #reconnect() {
    const dropped = !this.#reconnecting;
    this.#reconnecting = true;
    for (const call of this.calls) {
      if (call.status() === Call.State.Pending) call._close('cancel');
    }
    this.#setState(Device.State.Unregistered);
    if (dropped) this.emit('error', new TwilioError(31005, 'Connection error'));
    this.#retryDelay = this.#retryDelay === 0 ? FIRST_RETRY_MS : Math.min(this.#retryDelay * 2, this.#options.backoffMaxMs);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#connect();
    }, this.#retryDelay);
  }

  /** Stops for good, until register() is called again: no socket, no reconnection, no calls; fails a pending register(). */
  #stop(error) {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#reconnecting = false;
    this.#retryDelay = 0;
    this.#hungUpOffline.clear();
    const socket = this.#socket;
    this.#socket = null;
    socket?.close();
    for (const call of this.calls) call._close(call.status() === Call.State.Pending ? 'cancel' : 'disconnect');
    this.#pending?.reject(error);
    this.#pending = null;
    this.#setState(Device.State.Unregistered);
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
