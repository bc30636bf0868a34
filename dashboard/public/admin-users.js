// The users section of the admin page (admin.html #users): users with their roles, add a user,
// change a role, set a new password, remove a user or a service; bearer tokens listed, created (the
// token's text shown once, until "Done") and revoked. Rules: admin only (admin.js loads it for an
// admin, admin.css hides it from others; the API refuses others anyway); every write goes through
// the page's utils/http.js (CSRF token of the session); an API error is shown next to the field it
// names, else at the top of its form or row (users-model.js places it); nothing secret is kept in
// the page but the one new token while it is shown.
import { $, el } from './utils/dom.js';
import { ROLES, errorPlace, ownerRows, shortTime } from './users-model.js';

const path = (name) => `/api/users/${encodeURIComponent(name)}`;

/**
 * The section, bound to the page's API helper. `me`: the logged-in user (marked "you");
 * `quiet(err)`: true for an error the page handles itself (a 401 on its way to the login form).
 */
export function createUsersSection({ api, me, quiet }) {
  const userForm = $('#user-form');
  const tokenForm = $('#token-form');
  const passwordForm = $('#password-form');
  let passwordFor = null;

  function say(text) {
    $('#users-status').textContent = text;
    $('#users-error').textContent = '';
  }

  function clearForm(form) {
    for (const e of form.querySelectorAll('.err')) e.textContent = '';
  }

  /** An API error on a form: next to the field it names, else on the form's own line. */
  function formError(form, err) {
    if (quiet(err)) return;
    const fields = [...form.querySelectorAll('.err[data-for]')].map((e) => e.dataset.for).filter(Boolean);
    const { field, message } = errorPlace(err, fields);
    form.querySelector(`.err[data-for="${CSS.escape(field)}"]`).textContent = message;
  }

  function write(method, url, body) {
    $('#users-status').textContent = '';
    return api.send(method, url, body);
  }

  function button(label, cls, fn) {
    const b = el('button', { type: 'button', text: label, className: cls });
    b.addEventListener('click', fn);
    return b;
  }

  function userRow(row) {
    const tr = el('tr', { 'data-name': row.name, 'data-kind': row.kind });
    const note = row.you ? ' (you)' : row.kind === 'service' ? ' (service)' : row.editable ? '' : ' (configured)';
    tr.append(el('td', {}, [el('strong', { text: row.name }), note]));
    const rowError = el('span', { className: 'err row-error', role: 'alert' });
    const failed = (what) => (err) => {
      if (!quiet(err)) rowError.textContent = `${what}: ${err.message}`;
    };
    const roleCell = el('td');
    const actions = el('td', { className: 'actions' });
    if (row.kind === 'user' && row.editable) {
      const select = el('select', { name: 'role', 'aria-label': `role of ${row.name}` }, ROLES.map((r) => el('option', { text: r, value: r })));
      select.value = row.role;
      const set = button('Set role', 'set-role', () => {
        rowError.textContent = '';
        write('PATCH', path(row.name), { role: select.value })
          .then(() => load())
          .then(() => say(`${row.name} is now ${select.value}.`), failed('role not changed'));
      });
      set.disabled = true;
      select.addEventListener('change', () => {
        set.disabled = select.value === row.role;
      });
      roleCell.append(select, ' ', set);
      actions.append(button('Password', 'password', () => openPassword(row.name)));
    } else roleCell.textContent = row.role ?? '-';
    if (row.kind === 'service' || row.editable) {
      actions.append(button('Token', 'token', () => {
        tokenForm.elements.namedItem('name').value = row.name;
        tokenForm.elements.namedItem('name').focus();
      }));
      // Not yourself: the page would lock its own user out (the last admin, perhaps); `netmon user remove` can.
      if (!row.you) actions.append(button('Remove', 'remove', () => {
        const what = row.kind === 'service' ? `the tokens of service ${row.name}` : `user ${row.name} and its tokens`;
        if (!window.confirm(`Remove ${what}?`)) return;
        rowError.textContent = '';
        write('DELETE', path(row.name))
          .then(() => load())
          .then(() => say(`${row.name} removed.`), failed('not removed'));
      }));
    } else actions.append(el('span', { className: 'hint', text: 'set in the configuration (dashboard.auth)' }));
    actions.append(rowError);
    tr.append(roleCell, el('td', { text: shortTime(row.created) }), el('td', { text: String(row.tokens.length) }), actions);
    return tr;
  }

  function tokenRow(t) {
    const tr = el('tr', { 'data-token': t.id });
    const revoke = button('Revoke', 'revoke', () => {
      if (!window.confirm(`Revoke token ${t.id} of ${t.name}?`)) return;
      $('#tokens-error').textContent = '';
      write('DELETE', `/api/tokens/${encodeURIComponent(t.id)}`)
        .then(() => load())
        .then(() => say(`Token ${t.id} revoked.`), (err) => {
          if (!quiet(err)) $('#tokens-error').textContent = `token ${t.id} not revoked: ${err.message}`;
        });
    });
    tr.append(el('td', {}, [el('code', { text: t.id })]), el('td', { text: t.name }), el('td', { text: t.kind }), el('td', { text: t.role }), el('td', { text: shortTime(t.created) }), el('td', { className: 'actions' }, [revoke]));
    return tr;
  }

  async function load() {
    let list;
    try {
      list = await api.getJson('/api/users');
    } catch (err) {
      if (!quiet(err)) $('#users-error').textContent = `cannot list users: ${err.message}`;
      return;
    }
    $('#users-error').textContent = '';
    $('#user-table tbody').replaceChildren(...ownerRows(list, me).map(userRow));
    $('#token-table tbody').replaceChildren(...list.tokens.map(tokenRow));
    $('#tokens-empty').classList.toggle('hidden', list.tokens.length > 0);
  }

  function openPassword(name) {
    passwordFor = name;
    passwordForm.reset();
    clearForm(passwordForm);
    $('#password-title').textContent = `New password for ${name}`;
    passwordForm.classList.remove('hidden');
    passwordForm.elements.namedItem('password').focus();
  }

  function closePassword() {
    passwordFor = null;
    passwordForm.reset();
    passwordForm.classList.add('hidden');
  }

  function showToken(name, created) {
    $('#new-token-title').textContent = `New token ${created.id} for ${name} (role ${created.role}).`;
    $('#new-token-text').textContent = created.token;
    $('#new-token').classList.remove('hidden');
  }

  function hideToken() {
    $('#new-token-text').textContent = '';
    $('#new-token').classList.add('hidden');
  }

  userForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearForm(userForm);
    const f = userForm.elements;
    const body = { name: f.namedItem('name').value.trim(), role: f.namedItem('role').value, password: f.namedItem('password').value };
    try {
      await write('POST', '/api/users', body);
    } catch (err) {
      formError(userForm, err);
      return;
    }
    userForm.reset();
    await load();
    say(`${body.name} added as ${body.role}.`);
  });

  tokenForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearForm(tokenForm);
    hideToken();
    const f = tokenForm.elements;
    const name = f.namedItem('name').value.trim();
    const role = f.namedItem('role').value;
    let created;
    try {
      created = await write('POST', `${path(name)}/tokens`, role ? { role } : {});
    } catch (err) {
      formError(tokenForm, err);
      return;
    }
    tokenForm.reset();
    showToken(name, created);
    await load();
  });

  passwordForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearForm(passwordForm);
    const name = passwordFor;
    try {
      await write('PATCH', path(name), { password: passwordForm.elements.namedItem('password').value });
    } catch (err) {
      formError(passwordForm, err);
      return;
    }
    closePassword();
    say(`New password set for ${name}; its sessions have ended.`);
  });

  $('#password-cancel').addEventListener('click', closePassword);
  $('#new-token-done').addEventListener('click', hideToken);
  $('#new-token-copy').addEventListener('click', () => {
    const text = $('#new-token-text').textContent;
    // The clipboard needs a secure context (HTTPS or loopback); elsewhere the text is selected for copying by hand.
    const clip = window.navigator.clipboard;
    const selectIt = () => window.getSelection().selectAllChildren($('#new-token-text'));
    if (clip) clip.writeText(text).then(() => say('Token copied.'), selectIt);
    else selectIt();
  });

  return { load };
}
