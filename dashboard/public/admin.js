// The devices admin page (admin.html): list, add, edit, remove, enable/disable, test connection,
// bulk import. Rules: every write goes through utils/http.js, which sends the login session's CSRF
// token; without a session (or on a 401) the browser goes to the login form and comes back; secrets
// are never shown (the API returns "(set)"; an empty secret field on edit keeps the stored value); a
// 400 is shown next to the field it names (the server's `field`, e.g. "snmp.community").
import { ApiError, createApi } from './utils/http.js';
import { $, el } from './utils/dom.js';

const LOGIN = `/login.html?next=${encodeURIComponent('/admin.html')}`;
const api = createApi({
  onUnauthorized: () => {
    location.href = LOGIN;
  },
});
const form = $('#device-form');
let editing = null; // id of the device being edited, null when adding
let editingDevice = null; // that device as the API returned it (secrets "(set)")

/** A 401: the browser is on its way to the login form, so there is nothing to show here. */
const toLogin = (err) => err instanceof ApiError && err.status === 401;

/** A list button's write: a refusal shown in a dialog, then the list reloaded. */
async function listAction(method, url) {
  try {
    await api.send(method, url);
  } catch (err) {
    if (toLogin(err)) return;
    window.alert(err.message);
  }
  await loadList();
}

/** The message of a 400 without its "body/<path>: " prefix (the field is shown by its place). */
const fieldMessage = (err) => err.message.replace(/^body\/[^:]*: /, '');

async function checkSession() {
  const data = await api.session();
  if (!data.authenticated) {
    location.href = LOGIN;
    return false;
  }
  if (data.via === 'session') $('#logout').classList.remove('hidden');
  // Controls a role cannot use are hidden (admin.css: body[data-role]); the server refuses them anyway.
  document.body.dataset.role = data.role ?? 'none';
  if (data.role !== 'admin') {
    const b = $('#banner');
    b.textContent = `Read-only: ${data.user} has role ${data.role ?? 'none'}; changing devices needs admin.`;
    b.classList.remove('hidden');
  }
  return true;
}

async function loadList() {
  const [devices, file] = await Promise.all([api.getJson('/api/devices'), api.getJson('/api/devices-file')]);
  $('#file-problem').textContent = file && file.problem ? `The last hand edit of ${file.file} was not applied: ${file.problem.message}` : '';
  const body = $('#device-table tbody');
  body.replaceChildren();
  for (const d of devices) {
    const tr = el('tr');
    tr.dataset.id = d.id;
    tr.append(el('td', { text: d.id }), el('td', { text: `${d.host}:${d.port}` }), el('td', { text: `v${d.snmpVersion}` }), el('td', { text: d.enabled ? 'yes' : 'no' }));
    const st = d.status && typeof d.status === 'object' ? d.status : null;
    tr.append(el('td', { text: st ? `${st.state}${st.lastError ? `: ${st.lastError}` : ''}` : '-' }));
    const actions = el('td', { className: 'actions' });
    const button = (label, cls, fn) => {
      const b = el('button', { text: label, className: cls, type: 'button' });
      b.addEventListener('click', fn);
      actions.append(b);
    };
    button('Edit', 'edit', () => edit(d.id));
    button(d.enabled ? 'Disable' : 'Enable', 'toggle', () => listAction('POST', `/api/devices/${encodeURIComponent(d.id)}/${d.enabled ? 'disable' : 'enable'}`));
    button('Remove', 'remove', async () => {
      if (!window.confirm(`Remove device ${d.id}?`)) return;
      await listAction('DELETE', `/api/devices/${encodeURIComponent(d.id)}`);
    });
    tr.append(actions);
    body.append(tr);
  }
}

function clearErrors() {
  for (const e of form.querySelectorAll('.err')) e.textContent = '';
  $('#test-result').textContent = '';
}

function showError(field, message) {
  const target = form.querySelector(`.err[data-for="${CSS.escape(field)}"]`) || $('#form-error');
  target.textContent = target.id === 'form-error' && field ? `${field}: ${message}` : message;
}

function setVersionFields() {
  const v3 = form.version.value === '3';
  for (const e of form.querySelectorAll('.v3')) e.classList.toggle('hidden', !v3);
  for (const e of form.querySelectorAll('.v12')) e.classList.toggle('hidden', v3);
}
form.version.addEventListener('change', setVersionFields);

function openEditor(title) {
  $('#editor-title').textContent = title;
  $('#editor').classList.remove('hidden');
  clearErrors();
  setVersionFields();
}

$('#add-device').addEventListener('click', () => {
  editing = null;
  form.reset();
  form.id.disabled = false;
  $('#secret-hint').textContent = '';
  openEditor('Add device');
});

async function edit(id) {
  let d;
  try {
    d = await api.getJson(`/api/devices/${encodeURIComponent(id)}`);
  } catch (err) {
    if (!toLogin(err)) window.alert(err.message);
    return;
  }
  editing = id;
  form.reset();
  form.id.value = d.id;
  form.id.disabled = true;
  form.host.value = d.host;
  form.port.value = d.port;
  form.tags.value = (d.tags || []).join(', ');
  form.timeoutMs.value = d.timeoutMs ?? '';
  form.enabled.checked = d.enabled;
  form.version.value = d.snmp.version;
  form.username.value = d.snmp.username || '';
  form.level.value = d.snmp.level || 'authPriv';
  form.authProtocol.value = d.snmp.authProtocol || '';
  form.privProtocol.value = d.snmp.privProtocol || '';
  // Secret fields stay empty: the server keeps the stored value when they are left empty.
  for (const k of ['community', 'authKey', 'privKey']) form[k].placeholder = d.snmp[k] === '(set)' ? '(set: leave empty to keep)' : '';
  $('#secret-hint').textContent = 'Secrets are never shown; leave a secret field empty to keep the stored value.';
  openEditor(`Edit ${id}`);
  editing = id;
  editingDevice = d;
}

/** The form as a device for the API (only what the user can set here; other fields are kept by PATCH-like merge on the server side for edits). */
function formDevice() {
  const num = (v) => (v === '' ? undefined : Number(v));
  const device = {
    id: form.id.value.trim(),
    host: form.host.value.trim(),
    port: num(form.port.value),
    enabled: form.enabled.checked,
    tags: form.tags.value.split(',').map((t) => t.trim()).filter(Boolean),
  };
  const timeout = num(form.timeoutMs.value);
  if (timeout !== undefined) device.timeoutMs = timeout;
  const v = form.version.value;
  const snmp = { version: v };
  if (v === '3') {
    snmp.username = form.username.value.trim();
    snmp.level = form.level.value;
    if (form.authProtocol.value) snmp.authProtocol = form.authProtocol.value;
    if (form.privProtocol.value) snmp.privProtocol = form.privProtocol.value;
    if (form.authKey.value) snmp.authKey = form.authKey.value;
    if (form.privKey.value) snmp.privKey = form.privKey.value;
  } else if (form.community.value) snmp.community = form.community.value;
  device.snmp = snmp;
  if (editing && editingDevice) {
    // Keep what this form does not show (interface selection, speed overrides, retries).
    for (const k of ['interfaces', 'speedOverrides', 'retries']) if (editingDevice[k] !== undefined) device[k] = editingDevice[k];
    if (timeout === undefined) delete device.timeoutMs;
  }
  return device;
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors();
  const device = formDevice();
  try {
    await (editing ? api.send('PUT', `/api/devices/${encodeURIComponent(editing)}`, device) : api.send('POST', '/api/devices', device));
  } catch (err) {
    if (!toLogin(err)) showError(err.field || '', fieldMessage(err));
    return;
  }
  $('#editor').classList.add('hidden');
  await loadList();
});

$('#test-device').addEventListener('click', async () => {
  clearErrors();
  const out = $('#test-result');
  out.className = '';
  out.textContent = 'Testing…';
  let r;
  try {
    r = await api.send('POST', '/api/devices/test-connection', formDevice());
  } catch (err) {
    out.textContent = '';
    if (!toLogin(err)) showError(err.field || '', fieldMessage(err));
    return;
  }
  if (r.ok) {
    out.className = 'ok';
    out.replaceChildren(el('strong', { text: r.sysName || '(no sysName)' }), document.createTextNode(` · ${r.interfaceCount} interfaces · ${r.sysDescr}`));
  } else {
    out.className = 'bad';
    out.textContent = `${r.code}: ${r.message}`;
  }
});

$('#cancel-edit').addEventListener('click', () => $('#editor').classList.add('hidden'));

$('#import-file').addEventListener('change', async (e) => {
  const f = e.target.files[0];
  if (!f) return;
  $('#import-text').value = await f.text();
  if (/\.ya?ml$/i.test(f.name)) $('#import-format').value = 'yaml';
  else if (/\.csv$/i.test(f.name)) $('#import-format').value = 'csv';
});

$('#import-run').addEventListener('click', async () => {
  $('#import-error').textContent = '';
  const format = $('#import-format').value;
  const url = format ? `/api/devices/import?format=${format}` : '/api/devices/import';
  const table = $('#import-report');
  let report;
  try {
    report = await api.send('POST', url, $('#import-text').value, format === 'yaml' ? 'application/yaml' : format === 'csv' ? 'text/csv' : 'text/plain');
  } catch (err) {
    table.classList.add('hidden');
    if (!toLogin(err)) $('#import-error').textContent = err.message;
    return;
  }
  const body = table.querySelector('tbody');
  body.replaceChildren();
  for (const row of report.rows) {
    const tr = el('tr');
    tr.append(el('td', { text: row.row }), el('td', { text: row.line }), el('td', { text: row.id ?? '' }), el('td', { text: row.ok ? row.action : `${row.field}: ${row.error}`, className: row.ok ? 'ok' : 'bad' }));
    body.append(tr);
  }
  table.classList.remove('hidden');
  $('#import-error').textContent = `${report.applied} applied, ${report.failed} rejected`;
  await loadList();
});

$('#logout').addEventListener('click', async () => {
  await api.send('POST', '/api/auth/logout');
  location.href = '/';
});

checkSession()
  .then((ok) => (ok ? loadList() : null))
  .catch((err) => console.warn('admin page:', err.message));
