/** The supervisor's wallboard: it renders the figures the portal pushes every second, and computes none. */

const $ = (id) => document.getElementById(id);
const activityWords = {
  offline: 'Offline', away: 'Away', 'wrap-up': 'Wrap-up', available: 'Available', ringing: 'Ringing', 'in-call': 'On a call',
};
const minutes = (seconds) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
const secondsSince = (at) => Math.max(0, Math.floor((Date.now() - Date.parse(at)) / 1000));
const percent = (rate) => (rate == null ? '—' : `${Math.round(rate * 100)} %`);
const seconds = (value) => (value == null ? '—' : minutes(Math.round(value)));
const svg = (tag, attributes) => {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
};

async function api(path, options = {}) {
  const response = await fetch(path, { method: options.method ?? 'GET', headers: options.headers, credentials: 'same-origin' });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.status === 204 ? null : response.json();
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function row(...cells) {
  const tr = document.createElement('tr');
  const [first, ...rest] = cells;
  const th = document.createElement('th');
  th.scope = 'row';
  th.textContent = first;
  tr.append(th, ...rest.map(cell));
  return tr;
}

function render(view) {
  $('callers-waiting').textContent = String(view.callersWaiting);
  $('longest-wait').textContent = minutes(view.longestWaitSeconds);
  $('callbacks-pending').textContent = String(view.callbacksPending);
  $('updated-at').textContent = new Date(view.at).toLocaleTimeString();
  $('updated-at').dateTime = view.at;

  const today = view.today;
  const quarter = view.lastQuarterHour;
  $('figures').tBodies[0].replaceChildren(
    row('Service level', percent(today.serviceLevel), percent(quarter.serviceLevel)),
    row('Average speed of answer', seconds(today.averageSpeedOfAnswer), seconds(quarter.averageSpeedOfAnswer)),
    row('Abandon rate', percent(today.abandonRate), percent(quarter.abandonRate)),
    row('Average handle time', seconds(today.averageHandleTime), seconds(quarter.averageHandleTime)),
    row('Transfer rate', percent(today.transferRate), percent(quarter.transferRate)),
    row('Calls offered', String(today.offered), String(quarter.offered)),
    row('Calls answered', String(today.answered), String(quarter.answered)),
    row('Calls abandoned', String(today.abandoned), String(quarter.abandoned)),
  );

  $('agents').tBodies[0].replaceChildren(...view.agents.map((agent) => {
    const activity = activityWords[agent.activity] ?? agent.activity;
    const call = agent.call
      ? `${agent.call.customer}${agent.call.connectedAt ? `, ${minutes(secondsSince(agent.call.connectedAt))}` : ', ringing'}${agent.call.transfer ? `, transfer ${agent.call.transfer}` : ''}`
      : '';
    return row(agent.displayName, agent.reason ? `${activity} — ${agent.reason}` : activity, agent.since ? minutes(secondsSince(agent.since)) : '', call);
  }));

  drawChart(view.lastHour);
}

/** Bars of callers answered per minute and a line of callers waiting, for the last hour, drawn as inline SVG. */
function drawChart(minutesOfHour) {
  const width = 600;
  const height = 160;
  const top = Math.max(1, ...minutesOfHour.map((m) => Math.max(m.waiting, m.answered)));
  const x = (index) => 30 + index * ((width - 40) / minutesOfHour.length);
  const y = (value) => height - 20 - (value / top) * (height - 30);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Last hour: at most ${top} callers waiting or answered in a minute` });
  chart.append(svg('line', { class: 'axis', x1: 30, y1: height - 20, x2: width - 10, y2: height - 20 }));
  const label = svg('text', { x: 0, y: y(top) + 4 });
  label.textContent = String(top);
  chart.append(label);
  minutesOfHour.forEach((m, index) => {
    if (m.answered > 0) chart.append(svg('rect', { class: 'bar', x: x(index), y: y(m.answered), width: 6, height: height - 20 - y(m.answered) }));
  });
  chart.append(svg('polyline', { class: 'waiting', points: minutesOfHour.map((m, index) => `${x(index) + 3},${y(m.waiting)}`).join(' ') }));
  $('chart').replaceChildren(chart);
}

const session = await api('/account/session');
$('supervisor-name').textContent = `${session.displayName} (${session.id})`;
$('sign-out').addEventListener('click', async () => {
  const { token } = await api('/api/antiforgery');
  await fetch('/account/sign-out', { method: 'POST', headers: { 'X-CSRF-TOKEN': token }, credentials: 'same-origin' });
  location.assign('/');
});

const hub = new signalR.HubConnectionBuilder()
  .withUrl('/hubs/wallboard', { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets })
  .withAutomaticReconnect()
  .configureLogging(signalR.LogLevel.Warning)
  .build();
hub.on('wallboard', render);
hub.onreconnecting(() => { $('live-state').textContent = 'reconnecting'; });
hub.onreconnected(() => { $('live-state').textContent = 'connected'; });
hub.onclose(() => { $('live-state').textContent = 'disconnected'; });
await hub.start();
$('live-state').textContent = 'connected';
