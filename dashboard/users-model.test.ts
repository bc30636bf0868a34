// Tests of the users section's pure model (dashboard/public/users-model.js, plain browser JS imported
// here as it is): where each kind of API error lands on a form and how it reads, with the replies
// the users API really gives (schema errors, the store's InputError and ConflictError, a 403); the
// rows of users and services with their tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { silentLogger } from '../common/log.js';
import { registerErrorHandler } from './http-errors.js';
import { importPublic } from './public.fixture.js';
import { registerUserRoutes } from './users/user-routes.js';
import { createUserStore } from './users/user-store.js';

interface Place { field: string; message: string }
interface Row { kind: string; name: string; role: string | null; editable: boolean; you: boolean; tokens: { id: string }[] }
interface Model {
  errorPlace: (err: { message: string; field?: string }, fields: string[]) => Place;
  ownerRows: (list: { users: unknown[]; tokens: unknown[] }, me: string | null) => Row[];
  shortTime: (iso: string) => string;
  NAME_RULE: string;
}

const { errorPlace, ownerRows, shortTime, NAME_RULE } = await importPublic<Model>('users-model.js');
const USER_FIELDS = ['name', 'role', 'password'];

/** The users API with fast scrypt, answering through the real error handler. */
async function usersApi() {
  const users = createUserStore(silentLogger, { file: null, adminPassword: 'configured-pw', adminToken: null, scrypt: { N: 1024, r: 8, p: 1 } });
  const app = Fastify();
  registerErrorHandler(app);
  registerUserRoutes(app, users);
  await app.ready();
  const call = async (method: 'POST' | 'PATCH', url: string, payload: object) => {
    const res = await app.inject({ method, url, payload });
    return { status: res.statusCode, body: res.json<{ message: string; field?: string }>() };
  };
  return { app, users, call };
}

void test('errorPlace: the users API\'s real error replies land next to their field', async () => {
  const { app, users, call } = await usersApi();
  try {
    await users.add('alice', 'operator', 'alice-password');
    const cases: { name: string; reply: Promise<{ status: number; body: { message: string; field?: string } }>; fields: string[]; want: Place }[] = [
      { name: 'short password (schema)', reply: call('POST', '/api/users', { name: 'bob', role: 'viewer', password: 'short' }), fields: USER_FIELDS, want: { field: 'password', message: 'must NOT have fewer than 8 characters' } },
      { name: 'bad name (schema pattern, said in words)', reply: call('POST', '/api/users', { name: 'no spaces', role: 'viewer', password: 'long-enough' }), fields: USER_FIELDS, want: { field: 'name', message: `must be ${NAME_RULE}` } },
      { name: 'name taken (ConflictError with a field)', reply: call('POST', '/api/users', { name: 'alice', role: 'viewer', password: 'long-enough' }), fields: USER_FIELDS, want: { field: 'name', message: 'user "alice" exists' } },
      { name: 'configured admin (ConflictError with a field)', reply: call('POST', '/api/users', { name: 'admin', role: 'admin', password: 'long-enough' }), fields: USER_FIELDS, want: { field: 'name', message: '"admin" is the user of dashboard.auth.adminPassword; choose another name' } },
      { name: 'service token without a role (InputError, prefix dropped)', reply: call('POST', '/api/users/ci-bot/tokens', {}), fields: ['name', 'role'], want: { field: 'role', message: '"ci-bot" is no user: a service token needs a role' } },
      { name: 'short new password (schema, password form)', reply: call('PATCH', '/api/users/alice', { password: 'x' }), fields: ['password'], want: { field: 'password', message: 'must NOT have fewer than 8 characters' } },
      { name: 'a field the form does not have: whole message on the form', reply: call('PATCH', '/api/users/alice', {}), fields: ['password'], want: { field: '', message: 'body: give role and/or password' } },
    ];
    for (const c of cases) {
      const { status, body } = await c.reply;
      assert.ok(status >= 400 && status < 500, `${c.name}: a 4xx (got ${status})`);
      assert.deepEqual(errorPlace(body, c.fields), c.want, c.name);
    }
  } finally {
    await app.close();
  }
});

void test('errorPlace: refusals that name no field stay whole on the form', () => {
  assert.deepEqual(errorPlace({ message: 'this needs role admin; vera has viewer' }, USER_FIELDS), { field: '', message: 'this needs role admin; vera has viewer' });
  assert.deepEqual(errorPlace({ message: "body must have required property 'password'" }, USER_FIELDS), { field: 'password', message: 'required' });
  assert.deepEqual(errorPlace({ message: 'body/snmp.community must be string' }, USER_FIELDS), { field: '', message: 'body/snmp.community must be string' });
});

void test('ownerRows: users with their tokens, then services; the configured admin is not editable; you are marked', () => {
  const list = {
    users: [
      { name: 'admin', role: 'admin', created: '', source: 'config' },
      { name: 'alice', role: 'operator', created: '2026-12-05T10:00:00.000Z', source: 'file' },
    ],
    tokens: [
      { id: 'aaaaaaaaaaaa', name: 'prometheus', role: 'viewer', kind: 'service', created: '' },
      { id: 'bbbbbbbbbbbb', name: 'alice', role: 'viewer', kind: 'user', created: '' },
      { id: 'cccccccccccc', name: 'backup', role: 'admin', kind: 'service', created: '' },
      { id: 'dddddddddddd', name: 'alice', role: 'operator', kind: 'user', created: '' },
    ],
  };
  const rows = ownerRows(list, 'alice');
  assert.deepEqual(rows.map((r) => [r.kind, r.name, r.role, r.editable, r.you, r.tokens.map((t) => t.id)]), [
    ['user', 'admin', 'admin', false, false, []],
    ['user', 'alice', 'operator', true, true, ['bbbbbbbbbbbb', 'dddddddddddd']],
    ['service', 'backup', null, false, false, ['cccccccccccc']],
    ['service', 'prometheus', null, false, false, ['aaaaaaaaaaaa']],
  ]);
  assert.deepEqual(ownerRows({ users: [], tokens: [] }, null), []);
});

void test('shortTime: minutes in UTC, empty stays empty, junk shown as it is', () => {
  assert.equal(shortTime('2026-12-05T10:14:11.123Z'), '2026-12-05 10:14');
  assert.equal(shortTime(''), '');
  assert.equal(shortTime('yesterday'), 'yesterday');
});
