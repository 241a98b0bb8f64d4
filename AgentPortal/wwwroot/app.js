import { startSoftphone } from './softphone.js';

/** The agent's page: it renders the view the server pushes and sends the agent's actions; it guesses no state. */

const $ = (id) => document.getElementById(id);
const statusWords = { away: 'Away', available: 'Available', ringing: 'Ringing', 'in-call': 'On a call' };
const failureWords = {
  'no-answer': (name) => `${name} did not answer.`,
  declined: (name) => `${name} declined the call.`,
  failed: (name) => `The call to ${name} failed.`,
  left: (name) => `${name} left the call and handed the customer back.`,
  dropped: (name) => `${name}'s call dropped.`,
};

let antiforgery = null;
let me = null;
let view = null;
let device = null;
let hub = null;
let incoming = null;
let softphoneState = 'offline';
let timer = null;
let leaving = false;
let returning = false;
let coldTransferTo = null;
let choosingPresence = null;

/** Whether the agent was the only one left with the customer. */
const leftAlone = (call) => !call.agents.some((a) => a.id !== me.id && a.status === 'in-call');

async function refreshAntiforgery() {
  const response = await fetch('/api/antiforgery', { credentials: 'same-origin' });
  antiforgery = (await response.json()).token;
  return antiforgery;
}

/** Calls the portal; a failure becomes an Error carrying the problem's detail. */
async function api(path, { method = 'GET', body, form } = {}) {
  const headers = {};
  if (method !== 'GET') headers['X-CSRF-TOKEN'] = antiforgery ?? await refreshAntiforgery();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', body: form ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await response.text();
  if (!response.ok) {
    let detail = `The portal answered ${response.status}.`;
    try { const problem = JSON.parse(text); detail = problem.detail ?? problem.title ?? detail; } catch { /* not a problem body */ }
    throw new Error(detail);
  }
  return text ? JSON.parse(text) : null;
}

function say(text, { problem = false, target = 'message' } = {}) {
  const element = $(target);
  element.textContent = text;
  element.classList.toggle('problem', problem);
}

async function act(action, target = 'call-message') {
  try {
    await action();
  } catch (error) {
    say(error.message, { problem: true, target });
  }
}

// ---- sign in and out ----

async function showSignIn() {
  $('sign-in').hidden = false;
  for (const id of ['account', 'desk-status', 'incoming', 'call']) $(id).hidden = true;
  $('agent-id').focus();
}

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  say('', { target: 'sign-in-message' });
  try {
    await refreshAntiforgery();
    await api('/account/sign-in', { method: 'POST', form: new URLSearchParams(new FormData(event.target)) });
    $('password').value = '';
    await refreshAntiforgery();
    await startDesk(await api('/account/session'));
  } catch (error) {
    say(error.message, { problem: true, target: 'sign-in-message' });
  }
});

$('sign-out').addEventListener('click', () => act(async () => {
  await api('/api/presence', { method: 'POST', body: { status: 'away' } });
  device?.destroy();
  device = null;
  await hub?.stop();
  hub = null;
  await api('/account/sign-out', { method: 'POST' });
  antiforgery = null;
  me = null;
  view = null;
  incoming = null;
  say('You are signed out.');
  await showSignIn();
}, 'message'));

// ---- the desk ----

async function startDesk(session) {
  me = session;
  $('sign-in').hidden = true;
  $('account').hidden = false;
  $('desk-status').hidden = false;
  $('agent-name').textContent = `${session.displayName} (${session.id})`;

  const configuration = await api('/api/softphone');
  if (configuration.emulatorUrl) {
    $('emulator-link').href = configuration.emulatorUrl;
    $('emulator-hint').hidden = false;
  }
  await connectHub();
  device = await startSoftphone({
    configuration,
    fetchToken: async () => (await api('/api/token')).token,
    onState: showSoftphoneState,
    onIncoming: ring,
  });
}

async function connectHub() {
  hub = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/agent', { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets })
    .withAutomaticReconnect()
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  hub.on('view', render);
  hub.on('available', (colleagues) => view && render({ ...view, colleagues: colleagues.filter((c) => c.id !== me.id) }));
  hub.onreconnecting(() => { $('live-state').textContent = 'reconnecting'; });
  hub.onreconnected(() => { $('live-state').textContent = 'connected'; });
  hub.onclose(() => { $('live-state').textContent = 'offline'; });
  await hub.start();
  $('live-state').textContent = 'connected';
}

function showSoftphoneState(state, reason) {
  softphoneState = state;
  const element = $('softphone-state');
  element.textContent = state;
  element.className = `state state-${state}`;
  $('softphone-reason').textContent = reason ? `— ${reason}` : '';
  // A softphone that cannot ring must not be offered calls.
  if ((state === 'offline' || state === 'error') && view?.agent.presence === 'available') {
    act(() => api('/api/presence', { method: 'POST', body: { status: 'away' } }), 'message');
    say('Your softphone is not ready, so you are away until it is.', { problem: true });
  }
  if (view) render(view);
}

for (const radio of document.querySelectorAll('input[name="presence"]')) {
  radio.addEventListener('change', () => act(async () => {
    // Until a view shows the choice, a view pushed before it does not undo the agent's click.
    choosingPresence = radio.value;
    try {
      await api('/api/presence', { method: 'POST', body: { status: radio.value } });
    } catch (error) {
      choosingPresence = null;
      if (view) render(view);
      throw error;
    }
  }, 'message'));
}

// ---- ringing ----

function ring(call) {
  incoming = call;
  const done = () => { if (incoming === call) { incoming = null; render(view); } };
  call.on('cancel', done);
  call.on('reject', done);
  call.on('accept', done);
  call.on('disconnect', done);
  render(view);
  $('accept').focus();
}

$('accept').addEventListener('click', () => incoming?.accept());
$('reject').addEventListener('click', () => incoming?.reject());

// ---- the call ----

$('hold').addEventListener('click', () => act(() => api('/api/hold', { method: 'POST', body: { hold: !view.call.customerOnHold } })));
$('end').addEventListener('click', () => act(() => api('/api/end', { method: 'POST' })));
$('leave').addEventListener('click', () => {
  leaving = true;
  act(() => api('/api/leave', { method: 'POST' }));
});
$('return-to-queue').addEventListener('click', () => {
  returning = true;
  act(() => api('/api/return-to-queue', { method: 'POST' }));
});
$('cancel-transfer').addEventListener('click', () => act(() => api('/api/transfer/cancel', { method: 'POST' })));
$('transfer-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const leave = event.submitter?.id === 'transfer-and-leave';
  const body = { colleague: $('colleague').value, note: $('transfer-note').value, leave };
  // The page may hear that the call is over before the portal answers.
  if (leave) coldTransferTo = $('colleague').selectedOptions[0]?.text ?? null;
  act(async () => {
    try {
      await api('/api/transfer', { method: 'POST', body });
    } catch (error) {
      coldTransferTo = null;
      throw error;
    }
    $('transfer-note').value = '';
  });
});

/** Shows a colleague's transfer note as plain text, or hides the element when there is none. */
function showNote(element, note) {
  element.hidden = !note;
  element.textContent = note ? `Note from your colleague: ${note}` : '';
}

function nameOf(id) {
  return view?.call?.agents.find((a) => a.id === id)?.displayName ?? id;
}

/** Renders the server's view of this agent. */
function render(next) {
  if (!next) return;
  const previous = view;
  view = next;
  const { agent } = next;

  const routing = $('routing-status');
  routing.textContent = statusWords[agent.status] ?? agent.status;
  routing.className = `state state-${agent.status}`;
  if (choosingPresence === agent.presence) choosingPresence = null;
  for (const radio of document.querySelectorAll('input[name="presence"]')) {
    radio.checked = radio.value === (choosingPresence ?? agent.presence);
    radio.disabled = radio.value === 'available' && softphoneState !== 'ready' && agent.presence !== 'available';
  }
  const busy = agent.status === 'ringing' || agent.status === 'in-call';
  $('presence-hint').textContent = busy
    ? `You will be ${agent.presence === 'away' ? 'away' : 'available'} when this call ends.`
    : '';

  renderIncoming(next.call);

  const call = next.call?.myStatus === 'in-call' ? next.call : null;
  if (!call && previous?.call?.myStatus === 'in-call') {
    const handedTo = ['consulting', 'completed'].includes(previous.call.transfer?.state) ? previous.call.transfer.displayName : null;
    const handedBack = previous.call.role === 'consultant' && !leftAlone(previous.call)
      ? previous.call.agents.find((a) => a.id !== me.id && a.status === 'in-call')?.displayName
      : null;
    say(handedTo ? `You left the call; ${handedTo} has the customer.`
      : coldTransferTo ? `You left the call; ${coldTransferTo} is being rung, and the customer hears hold music until they answer.`
      : handedBack && leaving ? `You left the call and handed the customer back to ${handedBack}.`
      : returning ? 'You returned the customer to the queue: the next available agent takes them.'
      : 'The call ended.');
    leaving = false;
    returning = false;
    coldTransferTo = null;
  }
  if (call && !previous?.call) say('');
  $('call').hidden = !call;
  if (call) renderCall(call, next.colleagues);
  runTimer(call?.connectedAt);
}

function renderIncoming(call) {
  const ringing = incoming && incoming.status() === 'pending';
  $('incoming').hidden = !ringing;
  if (!ringing) return;
  const customer = call?.customerNumber ? `customer ${call.customerNumber}` : 'a customer';
  const text = call.transferredBy ? `${call.transferredBy} is transferring ${customer} to you.` : `${customer} is calling.`;
  $('incoming-caller').textContent = text.charAt(0).toUpperCase() + text.slice(1);
  showNote($('incoming-note'), call.transferNote);
}

function renderCall(call, colleagues) {
  $('call-customer').textContent = call.customerNumber ?? 'Unknown number';
  $('call-hold').textContent = call.customerOnHold ? 'On hold (hears music)' : 'Connected';
  const list = $('call-agents');
  list.replaceChildren(...call.agents.map((a) => {
    const item = document.createElement('li');
    item.textContent = `${a.displayName}${a.id === me.id ? ' (you)' : ''} — ${a.status === 'ringing' ? 'ringing' : 'in the call'}`;
    return item;
  }));

  const hold = $('hold');
  hold.textContent = call.customerOnHold ? 'Resume customer' : 'Hold customer';
  hold.setAttribute('aria-pressed', String(call.customerOnHold));

  const transfer = call.transfer;
  const underWay = ['ringing', 'consulting', 'completed'].includes(transfer?.state);
  const owner = call.role === 'owner';
  $('transfer-form').hidden = !owner;
  $('cancel-transfer').hidden = transfer?.state !== 'ringing';
  // The owner leaves to hand the customer over; a colleague brought in leaves to hand them back. End call is the owner's.
  $('leave').hidden = owner && transfer?.state !== 'consulting';
  $('leave').textContent = owner ? 'Leave call' : 'Leave (hand the customer back)';
  $('end').hidden = !owner;
  $('return-to-queue').hidden = !owner || ['ringing', 'consulting'].includes(transfer?.state);
  showNote($('call-note'), call.transferNote);
  hold.hidden = !owner;

  const select = $('colleague');
  const chosen = select.value;
  select.replaceChildren(...(colleagues.length
    ? colleagues.map((c) => new Option(c.displayName, c.id, false, c.id === chosen))
    : [new Option('No colleague is available', '')]));
  select.disabled = underWay || colleagues.length === 0;
  $('transfer').disabled = underWay || colleagues.length === 0;
  $('transfer').hidden = underWay;
  $('transfer-and-leave').disabled = underWay || colleagues.length === 0;
  $('transfer-and-leave').hidden = underWay;
  $('transfer-note').disabled = underWay || colleagues.length === 0;

  const target = transfer?.displayName;
  if (call.problem) {
    say(call.problem, { problem: true, target: 'call-message' });
    return;
  }
  switch (transfer?.state) {
    case 'ringing': say(`Ringing ${target}…`, { target: 'call-message' }); break;
    case 'consulting': say(`${target} is in the call. Leave the call to hand the customer over.`, { target: 'call-message' }); break;
    case 'completed': say(`${target} has the customer.`, { target: 'call-message' }); break;
    case 'cancelled': say(`Transfer to ${target} cancelled. You still have the customer.`, { target: 'call-message' }); break;
    case 'failed':
      say(`${(failureWords[transfer.failure] ?? failureWords.failed)(target)} You still have the customer.`, { problem: true, target: 'call-message' });
      break;
    default:
      if (call.role === 'consultant') say(`${call.agents.find((a) => a.id !== me.id)?.displayName ?? 'A colleague'} brought you into the call.`, { target: 'call-message' });
      else say('', { target: 'call-message' });
  }
}

function runTimer(connectedAt) {
  clearInterval(timer);
  timer = null;
  if (!connectedAt) { $('call-timer').textContent = '0:00'; return; }
  const start = Date.parse(connectedAt);
  const tick = () => {
    const seconds = Math.max(0, Math.floor((Date.now() - start) / 1000));
    const text = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
    $('call-timer').textContent = text;
    $('call-timer').dateTime = `PT${seconds}S`;
  };
  tick();
  timer = setInterval(tick, 1000);
}

// ---- start ----

const session = await api('/account/session');
if (session.signedIn) await startDesk(session); else await showSignIn();
