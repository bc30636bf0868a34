// Tests of the user store and the first start: tokens of a user follow the user, service tokens
// keep their role, the configured admin password and token keep working, a change by one store
// is seen by another on the same file, a broken hand edit keeps the last good content, and the
// first start creates one admin whose password is logged once and stored only as a hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, silentLogger } from '../../common/log.js';
import { ensureFirstAdmin } from './first-admin.js';
import { createUserStore } from './user-store.js';

const FAST = { N: 1024, r: 8, p: 1 };
const fileIn = () => join(mkdtempSync(join(tmpdir(), 'netmon-users-')), 'users.yaml');

void test('tokens: a user\'s never above the user and gone with it; a service\'s keeps its role', async () => {
  const users = createUserStore(silentLogger, { file: fileIn(), adminPassword: null, adminToken: null, scrypt: FAST });
  await users.add('op', 'operator', 'password-1');
  const asked = users.addToken('op', 'admin');
  assert.equal(asked.role, 'operator', 'capped at the user\'s role');
  assert.deepEqual(users.bearer(asked.token), { name: 'op', role: 'operator' });
  users.setRole('op', 'viewer');
  assert.deepEqual(users.bearer(asked.token), { name: 'op', role: 'viewer' }, 'follows a lower role');
  const svc = users.addToken('grafana', 'viewer');
  users.remove('op');
  assert.equal(users.bearer(asked.token), null);
  assert.deepEqual(users.bearer(svc.token), { name: 'grafana', role: 'viewer' });
  assert.equal(users.bearer(svc.token.slice(0, -1) + (svc.token.endsWith('A') ? 'B' : 'A')), null);
  users.removeToken(svc.id);
  assert.equal(users.bearer(svc.token), null);
});

void test('configured adminPassword and adminToken: user "admin" and a service token', async () => {
  const users = createUserStore(silentLogger, { file: null, adminPassword: 'pw-1', adminToken: 'tok-1', scrypt: FAST });
  assert.equal((await users.login('admin', 'pw-1'))?.role, 'admin');
  assert.equal((await users.login('admin', 'tok-1'))?.role, 'admin', 'the token also works as the password, as before');
  assert.equal(await users.login('admin', 'nope'), null);
  assert.deepEqual(users.bearer('tok-1'), { name: 'admin-token', role: 'admin' });
  assert.equal(users.isEmpty(), false);
  await assert.rejects(users.add('admin', 'viewer', 'password-1'), /adminPassword/);
});

void test('two stores on one file see each other\'s changes; a broken edit keeps the last good content', async () => {
  const file = fileIn();
  const a = createUserStore(silentLogger, { file, adminPassword: null, adminToken: null, scrypt: FAST });
  const b = createUserStore(silentLogger, { file, adminPassword: null, adminToken: null, scrypt: FAST });
  await a.add('x', 'viewer', 'password-1');
  const acc = (await b.login('x', 'password-1'))!;
  assert.equal(acc.role, 'viewer');
  a.endSessions('x', acc.uid);
  assert.equal(b.account('x', acc.uid)?.epoch, acc.epoch + 1);
  writeFileSync(file, 'users: [ {');
  assert.equal(b.account('x', acc.uid)?.role, 'viewer');
});

void test('first start: one admin, its password logged once, only the hash stored; never when anything grants access', async () => {
  const file = fileIn();
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (s: string) => lines.push(s) > 0 } as unknown as NodeJS.WritableStream });
  const users = createUserStore(silentLogger, { file, adminPassword: null, adminToken: null, scrypt: FAST });
  const pw = await ensureFirstAdmin(log, users, { proxyConfigured: false });
  assert.ok(pw && pw.length >= 20);
  const marked = lines.filter((l) => l.includes(pw));
  assert.equal(marked.length, 1);
  assert.match(marked[0], /FIRST START/);
  assert.ok(!readFileSync(file, 'utf8').includes(pw));
  assert.equal((await users.login('admin', pw))?.role, 'admin');
  assert.equal(await ensureFirstAdmin(log, users, { proxyConfigured: false }), null, 'once');
  const withProxy = createUserStore(silentLogger, { file: fileIn(), adminPassword: null, adminToken: null });
  assert.equal(await ensureFirstAdmin(log, withProxy, { proxyConfigured: true }), null);
  const withPassword = createUserStore(silentLogger, { file: fileIn(), adminPassword: 'pw', adminToken: null });
  assert.equal(await ensureFirstAdmin(log, withPassword, { proxyConfigured: false }), null);
});
