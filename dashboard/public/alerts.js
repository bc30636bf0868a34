// Browser code of the alerts page: plain JS, no build step. Reads /api/alerts/*, acknowledges with a
// note and silences for a period (POST JSON; the server decides who may). Refreshes every 15 s.
const $ = (sel) => document.querySelector(sel);
const status = $('[data-testid="alerts-status"]');

function setStatus(text, state) {
  status.textContent = text;
  status.dataset.state = state;
}

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '' : String(text);
  if (cls) td.className = cls;
  return td;
}

const time = (ms) => (ms === null || ms === undefined ? '' : new Date(ms).toLocaleString());
const where = (a) => (a.ifIndex === null ? `${a.deviceId} (device)` : `${a.deviceId} ${a.ifName ?? `#${a.ifIndex}`}`);
const num = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : 'n/a');

async function getJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.message ?? `${url}: ${res.status}`);
  return body;
}

/** The login session's CSRF token (null without a session: loopback writes need none). */
let csrf;
async function csrfToken() {
  if (csrf === undefined) csrf = (await getJson('/api/auth/session').catch(() => null))?.csrfToken ?? null;
  return csrf;
}

async function send(method, url, body) {
  const headers = body ? { 'content-type': 'application/json' } : {};
  const token = await csrfToken();
  if (token) headers['x-csrf-token'] = token;
  const res = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined });
  if (!res.ok) {
    const err = await res.json().catch(() => null);
    throw new Error(err?.message ?? `${res.status}`);
  }
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function activeRow(a) {
  const tr = document.createElement('tr');
  tr.className = a.severity;
  tr.dataset.alert = `${a.ruleId}|${a.deviceId}|${a.ifIndex ?? '-'}`;
  tr.append(cell(time(a.firingSince ?? a.windowStart)), cell(a.severity), cell(a.ruleId), cell(where(a)), cell(num(a.value)),
    cell(`${a.state}${a.flapping ? ' (flapping)' : ''}${a.silencedBy.length ? ' (silenced)' : ''}`));
  const actions = document.createElement('td');
  if (a.acknowledged) {
    actions.className = 'acked';
    actions.textContent = `acknowledged: ${a.acknowledged.note}`;
  } else if (a.state === 'firing') {
    const form = document.createElement('form');
    form.className = 'inline';
    const note = document.createElement('input');
    note.name = 'note';
    note.placeholder = 'note';
    note.required = true;
    const button = document.createElement('button');
    button.type = 'submit';
    button.textContent = 'Acknowledge';
    form.append(note, button);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      send('POST', '/api/alerts/ack', { ruleId: a.ruleId, deviceId: a.deviceId, ifIndex: a.ifIndex, note: note.value, firingSince: a.firingSince })
        .then(refresh, (err) => setStatus(`acknowledge failed: ${err.message}`, 'error'));
    });
    actions.append(form);
  }
  tr.append(actions);
  return tr;
}

function silenceRow(s) {
  const tr = document.createElement('tr');
  const lift = document.createElement('button');
  lift.type = 'button';
  lift.textContent = 'Lift';
  lift.addEventListener('click', () => send('DELETE', `/api/alerts/silences/${encodeURIComponent(s.id)}`).then(refresh, (err) => setStatus(`lift failed: ${err.message}`, 'error')));
  const td = document.createElement('td');
  td.append(lift);
  tr.append(cell(time(s.until)), cell(s.ruleId ?? 'any'), cell(s.deviceId ?? 'any'), cell(s.note), td);
  return tr;
}

async function refresh() {
  try {
    const [active, silences, failures, history] = await Promise.all([
      getJson('/api/alerts/active'),
      getJson('/api/alerts/silences'),
      getJson('/api/alerts/deliveries?status=failed&limit=200'),
      getJson('/api/alerts/history?limit=300'),
    ]);
    fill($('[data-testid="active"] tbody'), active.map(activeRow));
    $('[data-testid="active-empty"]').hidden = active.length > 0;
    fill($('[data-testid="silences"] tbody'), silences.map(silenceRow));
    fill($('[data-testid="failures"] tbody'), failures.map((f) => {
      const tr = document.createElement('tr');
      tr.append(cell(time(f.at)), cell(f.channel), cell(f.ruleId), cell(f.deviceId), cell(f.attempts), cell(f.error));
      return tr;
    }));
    fill($('[data-testid="history"] tbody'), history.map((h) => {
      const tr = document.createElement('tr');
      tr.className = h.severity;
      tr.append(cell(time(h.windowStart)), cell(h.transition), cell(h.severity), cell(h.ruleId), cell(where(h)), cell(num(h.value)), cell(h.message, 'muted'));
      return tr;
    }));
    setStatus(`updated ${new Date().toLocaleTimeString()}`, 'ok');
  } catch (err) {
    setStatus(`cannot load alerts: ${err.message}`, 'error');
  }
}

$('[data-testid="silence-form"]').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const value = (name) => form.elements.namedItem(name).value.trim();
  const body = { minutes: Number(value('minutes')), note: value('note') };
  if (value('ruleId')) body.ruleId = value('ruleId');
  if (value('deviceId')) body.deviceId = value('deviceId');
  send('POST', '/api/alerts/silences', body).then(() => {
    form.reset();
    return refresh();
  }, (err) => setStatus(`silence failed: ${err.message}`, 'error'));
});

void refresh();
setInterval(() => void refresh(), 15_000);
