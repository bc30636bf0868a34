// The alerts page (alerts.html): active alerts (acknowledge with a note), silences (add, lift),
// rules (add, edit, delete), delivery failures and history, read from /api/alerts/*; refreshed
// every 15 s. Rules: writes go through utils/http.js (the session's CSRF token; the server decides
// who may); a rejected rule's 400 names the field (`body/scope/target: ...`) and the message is shown
// next to that field.
import { createApi } from './utils/http.js';
import { $, el } from './utils/dom.js';

// Not logged in (and no anonymous role configured): the login form, then back here.
const api = createApi({ onUnauthorized: () => { location.href = `/login.html?next=${encodeURIComponent('/alerts')}`; } });
const status = $('[data-testid="alerts-status"]');
// Controls a role cannot use are hidden (alerts.css: body[data-role]); the server refuses them anyway.
api.session().then((s) => { document.body.dataset.role = s.role ?? 'none'; }, () => undefined);

function setStatus(text, state) {
  status.textContent = text;
  status.dataset.state = state;
}

const cell = (text, cls) => el('td', { text: text === null || text === undefined ? '' : String(text), className: cls });
const time = (ms) => (ms === null || ms === undefined ? '' : new Date(ms).toLocaleString());
const where = (a) => (a.ifIndex === null ? `${a.deviceId} (device)` : `${a.deviceId} ${a.ifName ?? `#${a.ifIndex}`}`);
const num = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : 'n/a');

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function activeRow(a) {
  const tr = el('tr', { className: a.severity, 'data-alert': `${a.ruleId}|${a.deviceId}|${a.ifIndex ?? '-'}` });
  tr.append(cell(time(a.firingSince ?? a.windowStart)), cell(a.severity), cell(a.ruleId), cell(where(a)), cell(num(a.value)),
    cell(`${a.state}${a.flapping ? ' (flapping)' : ''}${a.silencedBy.length ? ' (silenced)' : ''}`));
  const actions = el('td');
  if (a.acknowledged) {
    actions.className = 'acked';
    actions.textContent = `acknowledged: ${a.acknowledged.note}`;
  } else if (a.state === 'firing') {
    const note = el('input', { name: 'note', placeholder: 'note', required: '' });
    const form = el('form', { className: 'inline' }, [note, el('button', { type: 'submit', text: 'Acknowledge' })]);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      api.send('POST', '/api/alerts/ack', { ruleId: a.ruleId, deviceId: a.deviceId, ifIndex: a.ifIndex, note: note.value, firingSince: a.firingSince })
        .then(refresh, (err) => setStatus(`acknowledge failed: ${err.message}`, 'error'));
    });
    actions.append(form);
  }
  tr.append(actions);
  return tr;
}

function silenceRow(s) {
  const tr = el('tr');
  const lift = el('button', { type: 'button', text: 'Lift' });
  lift.addEventListener('click', () => api.send('DELETE', `/api/alerts/silences/${encodeURIComponent(s.id)}`).then(refresh, (err) => setStatus(`lift failed: ${err.message}`, 'error')));
  tr.append(cell(time(s.until)), cell(s.ruleId ?? 'any'), cell(s.deviceId ?? 'any'), cell(s.note), el('td', {}, [lift]));
  return tr;
}

async function refresh() {
  try {
    const [active, silences, failures, history] = await Promise.all([
      api.getJson('/api/alerts/active'),
      api.getJson('/api/alerts/silences'),
      api.getJson('/api/alerts/deliveries?status=failed&limit=200'),
      api.getJson('/api/alerts/history?limit=300'),
    ]);
    fill($('[data-testid="active"] tbody'), active.map(activeRow));
    $('[data-testid="active-empty"]').hidden = active.length > 0;
    fill($('[data-testid="silences"] tbody'), silences.map(silenceRow));
    fill($('[data-testid="failures"] tbody'), failures.map((f) => el('tr', {}, [cell(time(f.at)), cell(f.channel), cell(f.ruleId), cell(f.deviceId), cell(f.attempts), cell(f.error)])));
    fill($('[data-testid="history"] tbody'), history.map((h) =>
      el('tr', { className: h.severity }, [cell(time(h.windowStart)), cell(h.transition), cell(h.severity), cell(h.ruleId), cell(where(h)), cell(num(h.value)), cell(h.message, 'muted')])));
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
  api.send('POST', '/api/alerts/silences', body).then(() => {
    form.reset();
    return refresh();
  }, (err) => setStatus(`silence failed: ${err.message}`, 'error'));
});

// Rules: add, edit and delete through /api/alerts/rules.
const ruleForm = $('[data-testid="rule-form"]');
const LIST_FIELDS = ['devices', 'tags', 'interfaces', 'channels'];
const SCOPE_FIELDS = ['devices', 'tags', 'interfaces', 'target'];
let rulesById = new Map();
let editing = null;

const list = (v) => v.split(',').map((x) => x.trim()).filter((x) => x !== '');

function clearRuleErrors() {
  for (const el of ruleForm.querySelectorAll('.field-error')) el.textContent = '';
}

function showRuleError(message) {
  const m = /^body\/([^:]*): (.*)$/s.exec(message);
  const parts = m ? m[1].split('/') : [];
  const field = parts[0] === 'scope' && parts.length > 1 ? parts[1] : parts[0] === 'flapping' ? '(rule)' : parts[0];
  const spots = [...ruleForm.querySelectorAll('[data-error-for]')];
  const el = spots.find((x) => x.dataset.errorFor === field) ?? spots.find((x) => x.dataset.errorFor === '(rule)');
  el.textContent = m && el.dataset.errorFor !== '(rule)' ? m[2] : message;
}

function ruleBody() {
  const f = ruleForm.elements;
  const v = (name) => f.namedItem(name).value.trim();
  const num = (name) => (v(name) === '' ? undefined : Number(v(name)));
  const body = {
    id: v('id'), description: v('description'), enabled: f.namedItem('enabled').checked, metric: v('metric'),
    scope: { devices: list(v('devices')), tags: list(v('tags')), interfaces: list(v('interfaces')), target: v('target') },
    comparator: v('comparator'), threshold: num('threshold'), forWindows: num('forWindows'), clearForWindows: num('clearForWindows'),
    severity: v('severity'), channels: list(v('channels')), repeatIntervalSeconds: num('repeatIntervalSeconds'), minCoverage: num('minCoverage'),
  };
  if (num('clearThreshold') !== undefined) body.clearThreshold = num('clearThreshold');
  // Not on the form: kept as they are when editing.
  if (editing && rulesById.has(editing)) body.flapping = rulesById.get(editing).flapping;
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  return body;
}

function resetRuleForm() {
  ruleForm.reset();
  editing = null;
  ruleForm.elements.namedItem('id').readOnly = false;
  $('[data-testid="rule-form-title"]').textContent = 'Add a rule';
  clearRuleErrors();
}

function editRule(r) {
  resetRuleForm();
  editing = r.id;
  const f = ruleForm.elements;
  for (const name of ['id', 'description', 'metric', 'comparator', 'threshold', 'forWindows', 'clearForWindows', 'severity', 'repeatIntervalSeconds', 'minCoverage']) f.namedItem(name).value = String(r[name] ?? '');
  f.namedItem('clearThreshold').value = r.clearThreshold === undefined ? '' : String(r.clearThreshold);
  f.namedItem('enabled').checked = r.enabled;
  for (const name of SCOPE_FIELDS) f.namedItem(name).value = LIST_FIELDS.includes(name) ? r.scope[name].join(', ') : r.scope[name];
  f.namedItem('channels').value = r.channels.join(', ');
  f.namedItem('id').readOnly = true;
  $('[data-testid="rule-form-title"]').textContent = `Edit rule ${r.id}`;
  ruleForm.scrollIntoView({ block: 'nearest' });
}

function ruleRow(r) {
  const tr = el('tr', { 'data-rule': r.id });
  const sc = r.scope;
  const scope = [sc.devices.length ? `devices ${sc.devices.join(',')}` : '', sc.tags.length ? `tags ${sc.tags.join(',')}` : '', sc.interfaces.length ? `if ${sc.interfaces.join(',')}` : '', sc.target].filter(Boolean).join('; ');
  const cond = `${r.comparator} ${r.threshold}${r.clearThreshold === undefined ? '' : ` (clear ${r.clearThreshold})`}`;
  tr.append(cell(r.id), cell(r.metric), cell(scope), cell(cond), cell(`${r.forWindows} win`), cell(r.severity), cell(r.channels.join(', ')), cell(r.enabled ? 'yes' : 'no'));
  const edit = el('button', { type: 'button', text: 'Edit' });
  edit.addEventListener('click', () => editRule(r));
  const del = el('button', { type: 'button', text: 'Delete' });
  del.addEventListener('click', () => {
    if (!window.confirm(`Delete rule ${r.id}?`)) return;
    api.send('DELETE', `/api/alerts/rules/${encodeURIComponent(r.id)}`).then(() => {
      if (editing === r.id) resetRuleForm();
      return refreshRules();
    }, (err) => setStatus(`delete failed: ${err.message}`, 'error'));
  });
  tr.append(el('td', {}, [edit, ' ', del]));
  return tr;
}

async function refreshRules() {
  try {
    const rules = await api.getJson('/api/alerts/rules');
    rulesById = new Map(rules.map((r) => [r.id, r]));
    fill($('[data-testid="rules"] tbody'), rules.map(ruleRow));
  } catch (err) {
    setStatus(`cannot load rules: ${err.message}`, 'error');
  }
}

ruleForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  clearRuleErrors();
  const body = ruleBody();
  const req = editing ? api.send('PUT', `/api/alerts/rules/${encodeURIComponent(editing)}`, body) : api.send('POST', '/api/alerts/rules', body);
  req.then(() => {
    resetRuleForm();
    setStatus(`rule ${body.id} saved`, 'ok');
    return refreshRules();
  }, (err) => showRuleError(err.message));
});
$('[data-testid="rule-cancel"]').addEventListener('click', resetRuleForm);

void refreshRules();
void refresh();
setInterval(() => void refresh(), 15_000);
