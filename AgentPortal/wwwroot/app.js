import { startSoftphone, FATAL_TOKEN_ERRORS } from './softphone.js';

/** The agent's page: it renders the view the server pushes and sends the agent's actions; it guesses no state. */

const $ = (id) => document.getElementById(id);
const statusWords = {
  offline: 'Offline', away: 'Away', 'wrap-up': 'Wrap-up', available: 'Available', ringing: 'Ringing', 'in-call': 'On a call',
};
const failureWords = {
  'no-answer': (name) => `${name} did not answer.`,
  declined: (name) => `${name} declined the call.`,
  failed: (name) => `The call to ${name} failed.`,
  left: (name) => `${name} left the call and handed the customer back.`,
  dropped: (name) => `${name}'s call dropped.`,
  offline: (name) => `${name} went offline.`,
};

let antiforgery = null;
let me = null;
let view = null;
/** Colleagues free for a transfer, longest idle first, as the portal last pushed them (never the agent themselves). */
let colleagues = [];
let watchingColleagues = false;
let device = null;
let hub = null;
let incoming = null;
let softphoneState = 'offline';
let timer = null;
let leaving = false;
let returning = false;
let coldTransferTo = null;
let choosingPresence = null;
let softphoneStopped = false;
let heartbeatWorker = null;

/** "1:05" for 65 seconds. */
const minutes = (seconds) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
const secondsSince = (at) => Math.max(0, Math.floor((Date.now() - Date.parse(at)) / 1000));
const secondsUntil = (at) => Math.max(0, Math.ceil((Date.parse(at) - Date.now()) / 1000));

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
  for (const id of ['account', 'desk-status', 'incoming', 'call', 'wrap-up']) $(id).hidden = true;
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
  await stopDesk();
  await api('/account/sign-out', { method: 'POST' });
  await leaveDesk('You are signed out.');
}, 'message'));

/** Stops the softphone, the heartbeats and the live view. */
async function stopDesk() {
  device?.destroy();
  device = null;
  softphoneStopped = false;
  softphoneState = 'offline';
  heartbeatWorker?.terminate();
  heartbeatWorker = null;
  const closing = hub;
  hub = null;
  await closing?.stop();
}

async function leaveDesk(message) {
  antiforgery = null;
  me = null;
  view = null;
  colleagues = [];
  watchingColleagues = false;
  incoming = null;
  say(message);
  await showSignIn();
}

/** The portal closed the live view: if the sign-in ended (signed out elsewhere, removed, expired), the desk closes and says so. */
let sessionEnding = false;
async function checkSession() {
  if (!me || sessionEnding) return;
  const session = await api('/account/session').catch(() => null);
  if (session && !session.signedIn && me && !sessionEnding) {
    sessionEnding = true;
    try {
      await stopDesk();
      await leaveDesk('Your sign-in has ended. Sign in again to take calls.');
    } finally {
      sessionEnding = false;
    }
  }
}

// ---- the desk ----

async function startDesk(session) {
  // A supervisor's page is the wallboard.
  if (session.role === 'Supervisor') {
    location.assign('/wallboard');
    return;
  }
  me = session;
  $('sign-in').hidden = true;
  $('account').hidden = false;
  $('desk-status').hidden = false;
  $('agent-name').textContent = `${session.displayName} (${session.id})`;

  const configuration = await api('/api/softphone');
  const profile = await api('/api/me');
  $('away-reason').replaceChildren(new Option('No reason', ''), ...profile.awayReasons.map((reason) => new Option(reason, reason)));
  if (configuration.emulatorUrl) {
    $('emulator-link').href = configuration.emulatorUrl;
    $('emulator-hint').hidden = false;
  }
  await connectHub(configuration.heartbeatMs);
  device = await startSoftphone({
    configuration,
    fetchToken: async () => (await api('/api/token')).token,
    onState: showSoftphoneState,
    onIncoming: ring,
  });
  // Registered before the device was in hand: say so now rather than at the next beat.
  heartbeat();
}

/** What the page tells the portal of its softphone: only a registered, free softphone is offered calls. */
function softphoneReport() {
  if (!device || softphoneStopped || device.state !== 'registered') return 'unregistered';
  return device.isBusy ? 'busy' : 'registered';
}

/** Who is free for a transfer is pushed only to a page that shows a call: it says when it starts and stops showing one. */
function watchColleagues(wanted) {
  if (wanted === watchingColleagues) return;
  watchingColleagues = wanted;
  if (!wanted) colleagues = [];
  // A failed request changes nothing: the next view asks again, and a reconnected page is put right by the server.
  hub?.send('WatchColleagues', wanted).catch(() => { if (watchingColleagues === wanted) watchingColleagues = !wanted; });
}

/** The page is alive: the portal routes calls to this agent only while these keep coming. */
function heartbeat() {
  if (hub?.state === signalR.HubConnectionState.Connected) hub.send('Heartbeat', softphoneReport()).catch(() => { /* the next one will do */ });
}

async function connectHub(heartbeatMs) {
  hub = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/agent', { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets })
    .withAutomaticReconnect()
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  hub.on('view', (next) => {
    watchColleagues(Boolean(next?.call));
    render(next);
  });
  hub.on('available', (free) => {
    colleagues = free.filter((c) => c.id !== me?.id);
    if (view) render(view);
  });
  hub.onreconnecting(() => {
    $('live-state').textContent = 'reconnecting';
    checkSession();
  });
  hub.onreconnected(() => { $('live-state').textContent = 'connected'; heartbeat(); });
  hub.onclose(() => {
    $('live-state').textContent = 'offline';
    checkSession();
  });
  await hub.start();
  $('live-state').textContent = 'connected';
  // A worker's timer keeps its pace in a background tab, where the page's own timers are slowed down.
  heartbeatWorker = new Worker(`heartbeat-worker.js?ms=${Number(heartbeatMs) || 3000}`);
  heartbeatWorker.onmessage = heartbeat;
  heartbeat();
}

function showSoftphoneState(state, reason, code) {
  if (softphoneStopped) return;
  softphoneState = state;
  const element = $('softphone-state');
  element.textContent = state;
  element.className = `state state-${state}`;
  $('softphone-reason').textContent = reason ? `— ${reason}` : '';
  // A drop is not the end: the SDK registers again by itself and the agent keeps their choice. A refused token is.
  if (FATAL_TOKEN_ERRORS.has(code)) {
    softphoneStopped = true;
    device?.destroy();
    softphoneState = 'error';
    say(`Your softphone stopped: ${reason} (${code}). Sign out and sign in again to take calls.`, { problem: true });
  }
  heartbeat();
  if (view) render(view);
}

/** Away with the reason chosen beside it. */
function choosePresence(status) {
  return act(async () => {
    // Until a view shows the choice, a view pushed before it does not undo the agent's click.
    choosingPresence = status;
    try {
      await api('/api/presence', { method: 'POST', body: { status, reason: status === 'away' ? $('away-reason').value : null } });
    } catch (error) {
      choosingPresence = null;
      if (view) render(view);
      throw error;
    }
  }, 'message');
}

for (const radio of document.querySelectorAll('input[name="presence"]')) {
  radio.addEventListener('change', () => choosePresence(radio.value));
}
$('away-reason').addEventListener('change', () => {
  if (view?.agent.presence === 'away') choosePresence('away');
});

// ---- wrap-up ----

$('ready').addEventListener('click', () => act(() => api('/api/wrap-up/ready', { method: 'POST' }), 'wrap-up-message'));
$('more-time').addEventListener('click', () => act(() => api('/api/wrap-up/more-time', { method: 'POST' }), 'wrap-up-message'));

// ---- ringing ----

function ring(call) {
  incoming = call;
  // The softphone is busy while a call is open: the portal hears it at once.
  const done = () => { heartbeat(); if (incoming === call) { incoming = null; render(view); } };
  call.on('cancel', done);
  call.on('reject', () => {
    // Twilio may never say so: the portal asks it at once, and the caller goes to the next agent.
    if (hub?.state === signalR.HubConnectionState.Connected) hub.send('Declined', call.parameters.CallSid).catch(() => { /* reconciliation finds it */ });
    done();
  });
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
  if (leave) coldTransferTo = $('colleague').value ? $('colleague').selectedOptions[0]?.text : 'the next free colleague';
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
  $('activity-reason').textContent = agent.status === 'away' && agent.reason ? `— ${agent.reason}` : '';
  if (choosingPresence === agent.presence) choosingPresence = null;
  for (const radio of document.querySelectorAll('input[name="presence"]')) {
    radio.checked = radio.value === (choosingPresence ?? agent.presence);
    radio.disabled = radio.value === 'available' && softphoneState !== 'ready' && agent.presence !== 'available';
  }
  if (agent.presence === 'away' && document.activeElement !== $('away-reason')) $('away-reason').value = agent.reason ?? '';
  const busy = agent.status === 'ringing' || agent.status === 'in-call' || agent.status === 'wrap-up';
  $('presence-hint').textContent = busy
    ? `You will be ${agent.presence === 'away' ? 'away' : 'available'} when this ${agent.status === 'wrap-up' ? 'wrap-up' : 'call'} ends.`
    : agent.status === 'offline' && agent.presence === 'available'
      ? 'You are offline: calls come to you once your page and softphone are connected again.'
      : '';
  $('wrap-up').hidden = agent.status !== 'wrap-up';
  $('more-time').hidden = !agent.canTakeMoreTime;
  if (agent.status !== 'wrap-up') say('', { target: 'wrap-up-message' });
  tick();

  renderIncoming(next.call);

  const call = next.call?.myStatus === 'in-call' ? next.call : null;
  if (!call && previous?.call?.myStatus === 'in-call') {
    const handedTo = ['consulting', 'completed'].includes(previous.call.transfer?.state) ? previous.call.transfer.displayName : null;
    const handedBack = previous.call.role === 'consultant' && !leftAlone(previous.call)
      ? previous.call.agents.find((a) => a.id !== me.id && a.status === 'in-call')?.displayName
      : null;
    say(handedTo ? `You left the call; ${handedTo} has the customer.`
      : coldTransferTo ? `You left the call; ${coldTransferTo} takes the customer, who hears hold music until then.`
      : handedBack && leaving ? `You left the call and handed the customer back to ${handedBack}.`
      : returning ? 'You returned the customer to the queue: the next available agent takes them.'
      : 'The call ended.');
    leaving = false;
    returning = false;
    coldTransferTo = null;
  }
  if (call && !previous?.call) say('');
  $('call').hidden = !call;
  if (call) renderCall(call, colleagues);
  runTimer(call?.connectedAt);
}

function renderIncoming(call) {
  const ringing = incoming && incoming.status() === 'pending';
  $('incoming').hidden = !ringing;
  if (!ringing) return;
  // The softphone may ring before the portal's view of the call arrives: it says who is calling once it does.
  const customer = call?.customerNumber ? `customer ${call.customerNumber}` : 'a customer';
  const callback = call?.callback && !call.transferredBy ? call.callback : null;
  $('incoming-heading').textContent = callback ? 'Incoming callback' : 'Incoming call';
  const text = call?.transferredBy ? `${call.transferredBy} is transferring ${customer} to you.`
    : callback ? `Callback to ${call.customerNumber}, waited ${minutes(secondsSince(callback.waitingSince))}. Accept to call them now.`
    : `${customer} is calling.`;
  $('incoming-caller').textContent = text.charAt(0).toUpperCase() + text.slice(1);
  showNote($('incoming-note'), call?.transferNote);
}

function renderCall(call, colleagues) {
  $('call-customer').textContent = call.customerNumber ?? 'Unknown number';
  const callingBack = call.callback?.status === 'calling';
  $('call-hold').textContent = callingBack ? 'Being called back' : call.customerOnHold ? 'On hold (hears music)' : 'Connected';
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
  const underWay = ['waiting', 'ringing', 'consulting', 'completed'].includes(transfer?.state);
  const owner = call.role === 'owner';
  $('cancel-transfer').hidden = !['waiting', 'ringing'].includes(transfer?.state);
  // The owner leaves to hand the customer over; a colleague brought in leaves to hand them back. End call is the owner's.
  $('leave').hidden = owner && transfer?.state !== 'consulting';
  $('leave').textContent = owner ? 'Leave call' : 'Leave (hand the customer back)';
  $('end').hidden = !owner;
  $('return-to-queue').hidden = !owner || callingBack || ['waiting', 'ringing', 'consulting'].includes(transfer?.state);
  showNote($('call-note'), call.transferNote);
  hold.hidden = !owner || callingBack;
  // Until the customer answers their callback there is nobody to hold or hand on: End call gives the callback up.
  $('transfer-form').hidden = !owner || callingBack;

  // The next free colleague is always there to choose: with nobody free, the transfer waits ahead of every caller.
  const select = $('colleague');
  const chosen = select.value;
  select.replaceChildren(...colleagues.map((c) => new Option(c.displayName, c.id, false, c.id === chosen)),
    new Option(colleagues.length ? 'Next free colleague' : 'Next free colleague (nobody is free now)', '', false, chosen === '' && colleagues.length > 0));
  select.disabled = underWay;
  $('transfer').disabled = underWay;
  $('transfer').hidden = underWay;
  $('transfer-and-leave').disabled = underWay;
  $('transfer-and-leave').hidden = underWay;
  $('transfer-note').disabled = underWay;

  const target = transfer?.displayName;
  if (call.problem) {
    say(call.problem, { problem: true, target: 'call-message' });
    return;
  }
  if (callingBack) {
    say(`Calling ${call.customerNumber} back (attempt ${call.callback.attempt} of ${call.callback.maxAttempts})…`, { target: 'call-message' });
    return;
  }
  switch (transfer?.state) {
    case 'waiting': say(`Waiting for a colleague (${minutes(secondsSince(transfer.askedAt))})…`, { target: 'call-message' }); break;
    case 'ringing': say(`Ringing ${target}…`, { target: 'call-message' }); break;
    case 'consulting': say(`${target} is in the call. Leave the call to hand the customer over.`, { target: 'call-message' }); break;
    case 'completed': say(`${target} has the customer.`, { target: 'call-message' }); break;
    case 'cancelled': say(`Transfer to ${target ?? 'the next free colleague'} cancelled. You still have the customer.`, { target: 'call-message' }); break;
    case 'failed':
      say(`${(failureWords[transfer.failure] ?? failureWords.failed)(target)} You still have the customer.`, { problem: true, target: 'call-message' });
      break;
    default:
      if (call.role === 'consultant') say(`${call.agents.find((a) => a.id !== me.id)?.displayName ?? 'A colleague'} brought you into the call.`, { target: 'call-message' });
      else say('', { target: 'call-message' });
  }
}

/** The times that run on the page: in the current activity, left in wrap-up, waited for a colleague. */
function tick() {
  const agent = view?.agent;
  $('activity-time').textContent = agent?.since ? minutes(secondsSince(agent.since)) : '';
  $('wrap-up-left').textContent = agent?.wrapUpEndsAt ? minutes(secondsUntil(agent.wrapUpEndsAt)) : '';
  const transfer = view?.call?.myStatus === 'in-call' ? view.call.transfer : null;
  // A problem shown there (a failed Cancel) stays until the next view.
  if (transfer?.state === 'waiting' && !view.call.problem && !$('call-message').classList.contains('problem')) {
    say(`Waiting for a colleague (${minutes(secondsSince(transfer.askedAt))})…`, { target: 'call-message' });
  }
}

setInterval(tick, 1000);

function runTimer(connectedAt) {
  clearInterval(timer);
  timer = null;
  if (!connectedAt) { $('call-timer').textContent = '0:00'; return; }
  const start = Date.parse(connectedAt);
  const show = () => {
    const seconds = Math.max(0, Math.floor((Date.now() - start) / 1000));
    $('call-timer').textContent = minutes(seconds);
    $('call-timer').dateTime = `PT${seconds}S`;
  };
  show();
  timer = setInterval(show, 1000);
}

// ---- start ----

const session = await api('/account/session');
if (session.signedIn) await startDesk(session); else await showSignIn();
