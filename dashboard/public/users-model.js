// The pure part of the admin page's users section (admin-users.js): where an API error belongs on a
// form and how it reads, and the table rows of users and of token owners. Rules: no DOM, no fetch,
// so Node's tests import it as it is (dashboard/users-model.test.ts); the server stays the judge of
// what is valid, this only places and words its answer.

export const ROLES = ['viewer', 'operator', 'admin'];

/** The user-name rule of the API (dashboard/users/users-file.ts), said for people. */
export const NAME_RULE = '1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit';

/**
 * Where an API error goes on a form with `fields` (input names) and what it says there:
 * {field, message}, field '' for the form as a whole. The error's own `field` wins; else a schema
 * error's path (`body/password must NOT have ...`, `body must have required property 'name'`).
 * The schema's regular expression for names is replaced by the rule in words.
 */
export function errorPlace(err, fields) {
  const raw = err && typeof err.message === 'string' ? err.message : String(err);
  let field = err && typeof err.field === 'string' ? err.field : '';
  let message = raw;
  const path = /^body\/([A-Za-z0-9_.]+):? (.*)$/s.exec(raw);
  const required = /^body must have required property '([^']+)'$/.exec(raw);
  if (path) {
    field ||= path[1];
    message = path[2];
  } else if (required) {
    field ||= required[1];
    message = 'required';
  } else if (field && raw.startsWith(`${field}: `)) message = raw.slice(field.length + 2);
  if (!fields.includes(field)) return { field: '', message: raw };
  if (field === 'name' && /must match pattern/.test(message)) message = `must be ${NAME_RULE}`;
  return { field, message };
}

/**
 * The users table: every user with its tokens, plus (after them) the services, names that only
 * have tokens. A user is `editable` when it lives in the users file (the configured admin of
 * dashboard.auth.adminPassword is changed in the configuration); `you` marks the logged-in user.
 */
export function ownerRows(list, me) {
  const byName = new Map();
  for (const t of list.tokens) {
    if (!byName.has(t.name)) byName.set(t.name, []);
    byName.get(t.name).push(t);
  }
  const rows = list.users.map((u) => ({ kind: 'user', name: u.name, role: u.role, created: u.created, editable: u.source === 'file', you: u.name === me, tokens: byName.get(u.name) ?? [] }));
  const users = new Set(list.users.map((u) => u.name));
  const services = [...byName.keys()].filter((n) => !users.has(n)).sort();
  for (const name of services) rows.push({ kind: 'service', name, role: null, created: '', editable: false, you: false, tokens: byName.get(name) });
  return rows;
}

/** A day and time people read, from the API's ISO time ('' stays ''). */
export function shortTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 16).replace('T', ' ');
}
