// Devices admin page: list, add, edit, remove, enable/disable, test connection, bulk import.
// Rules: every write sends the CSRF token of the login session (x-csrf-token); secrets are never
// shown (the API returns "(set)"; an empty secret field on edit keeps the stored value); a 400 is
// shown next to the field it names (the server's `field`, e.g. "snmp.community"); data is written
// into the page with textContent only.
'use strict';
(() => {
  const { alert, confirm, CSS } = globalThis;
  const $ = (sel) => document.querySelector(sel);
  const form = $('#device-form');
  let csrf = null;
  let editing = null; // id of the device being edited, null when adding
  let editingDevice = null; // that device as the API returned it (secrets "(set)")

  async function api(method, url, body, contentType) {
    const headers = {};
    if (csrf) headers['x-csrf-token'] = csrf;
    let payload;
    if (body !== undefined) {
      headers['content-type'] = contentType || 'application/json';
      payload = contentType ? body : JSON.stringify(body);
    }
    const res = await fetch(url, { method, headers, body: payload, credentials: 'same-origin' });
    if (res.status === 401) {
      location.href = `/login.html?next=${encodeURIComponent('/admin.html')}`;
      throw new Error('login required');
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { message: text };
    }
    return { ok: res.ok, status: res.status, data };
  }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  async function checkSession() {
    const { data } = await api('GET', '/api/auth/session');
    if (data.mode === 'credentials' && !data.authenticated) {
      location.href = `/login.html?next=${encodeURIComponent('/admin.html')}`;
      return false;
    }
    csrf = data.csrfToken;
    if (data.mode === 'credentials') $('#logout').classList.remove('hidden');
    if (data.mode === 'loopback-open') {
      const b = $('#banner');
      b.textContent = data.authenticated
        ? 'No admin credential is configured: changes are allowed from this machine only (set dashboard.auth.adminPassword to require a login).'
        : 'Read-only: no admin credential is configured and this browser is not on the dashboard machine.';
      b.classList.remove('hidden');
    }
    return true;
  }

  async function loadList() {
    const [{ data: devices }, { data: file }] = await Promise.all([api('GET', '/api/devices'), api('GET', '/api/devices-file')]);
    $('#file-problem').textContent = file && file.problem ? `The last hand edit of ${file.file} was not applied: ${file.problem.message}` : '';
    const body = $('#device-table tbody');
    body.replaceChildren();
    for (const d of devices) {
      const tr = el('tr');
      tr.dataset.id = d.id;
      tr.append(el('td', d.id), el('td', `${d.host}:${d.port}`), el('td', `v${d.snmpVersion}`), el('td', d.enabled ? 'yes' : 'no'));
      const st = d.status && typeof d.status === 'object' ? d.status : null;
      tr.append(el('td', st ? `${st.state}${st.lastError ? `: ${st.lastError}` : ''}` : '-'));
      const actions = el('td', null, 'actions');
      const button = (label, cls, fn) => {
        const b = el('button', label, cls);
        b.type = 'button';
        b.addEventListener('click', fn);
        actions.append(b);
      };
      button('Edit', 'edit', () => edit(d.id));
      button(d.enabled ? 'Disable' : 'Enable', 'toggle', async () => {
        const r = await api('POST', `/api/devices/${encodeURIComponent(d.id)}/${d.enabled ? 'disable' : 'enable'}`);
        if (!r.ok) alert(r.data.message);
        await loadList();
      });
      button('Remove', 'remove', async () => {
        if (!confirm(`Remove device ${d.id}?`)) return;
        const r = await api('DELETE', `/api/devices/${encodeURIComponent(d.id)}`);
        if (!r.ok) alert(r.data.message);
        await loadList();
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
    const { ok, data: d } = await api('GET', `/api/devices/${encodeURIComponent(id)}`);
    if (!ok) return alert(d.message);
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
    const r = editing ? await api('PUT', `/api/devices/${encodeURIComponent(editing)}`, device) : await api('POST', '/api/devices', device);
    if (!r.ok) {
      showError(r.data.field || '', (r.data.message || '').replace(/^body\/[^:]*: /, ''));
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
    const r = await api('POST', '/api/devices/test-connection', formDevice());
    if (!r.ok) {
      out.textContent = '';
      showError(r.data.field || '', (r.data.message || '').replace(/^body\/[^:]*: /, ''));
      return;
    }
    if (r.data.ok) {
      out.className = 'ok';
      out.replaceChildren(el('strong', r.data.sysName || '(no sysName)'), document.createTextNode(` · ${r.data.interfaceCount} interfaces · ${r.data.sysDescr}`));
    } else {
      out.className = 'bad';
      out.textContent = `${r.data.code}: ${r.data.message}`;
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
    const r = await api('POST', url, $('#import-text').value, format === 'yaml' ? 'application/yaml' : format === 'csv' ? 'text/csv' : 'text/plain');
    const table = $('#import-report');
    if (!r.ok) {
      table.classList.add('hidden');
      $('#import-error').textContent = r.data.message;
      return;
    }
    const body = table.querySelector('tbody');
    body.replaceChildren();
    for (const row of r.data.rows) {
      const tr = el('tr');
      tr.append(el('td', row.row), el('td', row.line), el('td', row.id ?? ''), el('td', row.ok ? row.action : `${row.field}: ${row.error}`, row.ok ? 'ok' : 'bad'));
      body.append(tr);
    }
    table.classList.remove('hidden');
    $('#import-error').textContent = `${r.data.applied} applied, ${r.data.failed} rejected`;
    await loadList();
  });

  $('#logout').addEventListener('click', async () => {
    await api('POST', '/api/auth/logout');
    location.href = '/';
  });

  checkSession()
    .then((ok) => (ok ? loadList() : null))
    .catch((err) => console.warn('admin page:', err.message));
})();
