// The emulator's admin page: places simulated customer calls and shows /admin/state and /admin/events live.
// Server data is only ever written with textContent.

const POLL_MS = 1000;
const MAX_EVENTS = 50;
const FINAL_STATUSES = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes). */
function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) element.setAttribute(name, '');
    else if (value !== false && value != null) element.setAttribute(name, String(value));
  }
  element.append(...children.map((child) => (child instanceof Node ? child : document.createTextNode(child ?? ''))));
  return element;
}

/** A table with a caption, or a short note when there are no rows. */
function table(caption, headers, rows, emptyText) {
  if (rows.length === 0) return el('p', { class: 'empty' }, emptyText);
  return el('table', {},
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, ...headers.map((header) => el('th', { scope: 'col' }, header)))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((cell) => el('td', {}, cell))))));
}

/** Replaces a container's content, keeping keyboard focus on the same button when it is redrawn. */
function replace(container, content) {
  const focused = container.contains(document.activeElement) ? document.activeElement.dataset.key : undefined;
  container.replaceChildren(content);
  if (focused) container.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
}

async function hangUp(sid, button) {
  if (button.getAttribute('aria-disabled') === 'true') return;
  button.setAttribute('aria-disabled', 'true');
  try {
    const response = await fetch(`/admin/calls/${encodeURIComponent(sid)}/hangup`, { method: 'POST' });
    if (!response.ok) $('place-result').textContent = `Hang up ${sid}: ${response.status} ${response.statusText}`;
    await refresh();
  } catch (error) {
    $('place-result').textContent = `Hang up ${sid}: ${error.message}`;
  }
}

async function pressOne(sid, button) {
  if (button.getAttribute('aria-disabled') === 'true') return;
  try {
    const response = await fetch(`/admin/calls/${encodeURIComponent(sid)}/digits`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ digits: '1' }),
    });
    $('place-result').textContent = response.ok ? `Pressed 1 on ${sid}.`
      : response.status === 409 ? `${sid} is not listening for keys now.` : `Press 1 on ${sid}: ${response.status} ${response.statusText}`;
    await refresh();
  } catch (error) {
    $('place-result').textContent = `Press 1 on ${sid}: ${error.message}`;
  }
}

function renderNumber(number) {
  $('phone-number').textContent = number.phoneNumber;
  $('voice-url').textContent = number.voiceUrl ? `${number.voiceMethod} ${number.voiceUrl}` : 'not configured (Twilio__VoiceUrl)';
  $('voice-fallback-url').textContent = number.voiceFallbackUrl
    ? `${number.voiceFallbackMethod} ${number.voiceFallbackUrl}`
    : 'none: a failing voice URL ends the call (Twilio__VoiceFallbackUrl)';
}

function renderCalls(calls) {
  const rows = calls.map((call) => {
    const button = el('button', {
      // aria-disabled rather than disabled: a button that stays focusable keeps the keyboard focus when redrawn.
      type: 'button', 'data-key': `hangup-${call.sid}`, 'aria-label': `Hang up ${call.sid}`,
      'aria-disabled': FINAL_STATUSES.has(call.status) ? 'true' : 'false',
    }, 'Hang up');
    button.addEventListener('click', () => hangUp(call.sid, button));
    // The caller's keypad, for the prompts that ask for a key (a callback offer asks for 1).
    const press = el('button', {
      type: 'button', 'data-key': `press-${call.sid}`, 'aria-label': `Press 1 on ${call.sid}`,
      'aria-disabled': FINAL_STATUSES.has(call.status) ? 'true' : 'false',
    }, 'Press 1');
    press.addEventListener('click', () => pressOne(call.sid, press));
    return [el('span', { class: 'mono' }, call.sid), call.from, call.to, call.direction, call.status,
      el('span', { class: 'mono' }, call.conferenceSid ?? ''), el('span', {}, button, ' ', press)];
  });
  replace($('calls'), table('Calls, oldest first', ['Sid', 'From', 'To', 'Direction', 'Status', 'Conference', 'Action'],
    rows, 'No calls yet.'));
}

function flags(participant) {
  return [
    participant.startConferenceOnEnter && 'startConferenceOnEnter',
    participant.endConferenceOnExit && 'endConferenceOnExit',
    participant.muted && 'muted',
    participant.hold && 'hold',
  ].filter(Boolean).join(', ');
}

function renderConferences(conferences) {
  if (conferences.length === 0) {
    replace($('conferences'), el('p', { class: 'empty' }, 'No conferences yet.'));
    return;
  }

  const list = el('div');
  for (const conference of conferences) {
    const ended = conference.reasonConferenceEnded
      ? ` — ended: ${conference.reasonConferenceEnded}${conference.callSidEndingConference ? ` by ${conference.callSidEndingConference}` : ''}`
      : '';
    list.append(
      el('h3', {}, `${conference.friendlyName} (${conference.status})`),
      el('p', { class: 'mono' }, `${conference.sid}${ended}`),
      table(`Participants of ${conference.friendlyName}`, ['Label', 'Call sid', 'Status', 'Flags', 'Audio'],
        conference.participants.map((p) => [p.label ?? '', el('span', { class: 'mono' }, p.callSid), p.status, flags(p), p.audio]),
        'No participants.'));
  }
  replace($('conferences'), list);
}

function renderDevices(devices) {
  replace($('devices'), table('Registered devices', ['Device id', 'Identity', 'On call'],
    devices.map((device) => [el('span', { class: 'mono' }, device.id), device.identity, el('span', { class: 'mono' }, device.callSid ?? '')]),
    'No device is registered.'));
}

let events = [];
let lastSequence = 0;

function renderEvents() {
  const rows = [...events].reverse().map((event) => [
    String(event.sequence),
    new Date(event.timestamp).toLocaleTimeString(),
    event.kind,
    event.method ?? '',
    el('span', { class: 'mono' }, event.url ?? ''),
    event.statusCode == null ? '' : String(event.statusCode),
    event.errorCode == null ? '' : el('span', { class: 'error' }, String(event.errorCode)),
    event.message ?? '',
  ]);
  replace($('events'), table('Events, newest first', ['#', 'Time', 'Kind', 'Method', 'URL', 'Status', 'Error', 'Message'],
    rows, 'No events yet.'));
}

let lastState = '';

async function refresh() {
  const [stateResponse, eventsResponse] = await Promise.all([
    fetch('/admin/state', { cache: 'no-store' }),
    fetch(`/admin/events?after=${lastSequence}`, { cache: 'no-store' }),
  ]);
  if (!stateResponse.ok || !eventsResponse.ok) throw new Error(`state ${stateResponse.status}, events ${eventsResponse.status}`);

  const text = await stateResponse.text();
  if (text !== lastState) {
    lastState = text;
    const state = JSON.parse(text);
    renderNumber(state.number);
    renderCalls(state.calls);
    renderConferences(state.conferences);
    renderDevices(state.devices);
  }

  const fresh = await eventsResponse.json();
  if (fresh.length > 0) {
    lastSequence = fresh[fresh.length - 1].sequence;
    events = events.concat(fresh).slice(-MAX_EVENTS);
    renderEvents();
  } else if (lastSequence === 0 && !$('events').hasChildNodes()) {
    renderEvents();
  }
}

async function poll() {
  try {
    await refresh();
    $('connection').textContent = '';
  } catch (error) {
    $('connection').textContent = `Cannot reach the emulator (${error.message}); retrying.`;
  }
  setTimeout(poll, POLL_MS);
}

$('place-call').addEventListener('submit', async (submit) => {
  submit.preventDefault();
  const result = $('place-result');
  const from = $('from').value.trim();
  result.textContent = `Calling from ${from}…`;
  try {
    const response = await fetch('/admin/calls', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ from }),
    });
    const body = await response.json().catch(() => ({}));
    result.textContent = response.ok
      ? `Call ${body.sid} from ${body.from} to ${body.to} placed.`
      : `Not placed: ${body.detail ?? body.title ?? `${response.status} ${response.statusText}`}`;
  } catch (error) {
    result.textContent = `Not placed: ${error.message}`;
  }
  await refresh().catch(() => {});
});

poll();
