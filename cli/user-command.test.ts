// `netmon user` as an operator runs it: bin/netmon.js in a child process against a temp config;
// the users file gets only hashes, mode 0600, and the password can come from a file or stdin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../common/package-root.js';
import { silentLogger } from '../common/log.js';
import { createUserStore } from '../dashboard/users/user-store.js';

const bin = join(repoRoot(), 'bin', 'netmon.js');
const dir = mkdtempSync(join(tmpdir(), 'netmon-user-cli-'));
const config = join(dir, 'netmon.yaml');
writeFileSync(config, 'devicesFile: devices.yaml\n');
writeFileSync(join(dir, 'devices.yaml'), 'devices: []\n');
const run = (args: string[], input?: string) => spawnSync(process.execPath, [bin, 'user', ...args, '--config', config], { encoding: 'utf8', input, env: { ...process.env, NETMON_STACK_ENV: join(dir, 'no-stack-env') } });

test('netmon user: add (password file and stdin), list, token, passwd, remove; only hashes, mode 0600', async () => {
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, 'first-secret-pw\n');
  const add = run(['add', 'alice', '--role', 'admin', '--password-file', pwFile]);
  assert.equal(add.status, 0, add.stderr);
  const piped = run(['add', 'bob', '--role', 'viewer'], 'piped-secret-pw\n');
  assert.equal(piped.status, 0, piped.stderr);

  const usersFile = join(dir, 'users.yaml');
  assert.equal(statSync(usersFile).mode & 0o777, 0o600);
  const text = readFileSync(usersFile, 'utf8');
  assert.doesNotMatch(text, /first-secret-pw|piped-secret-pw/);
  assert.match(text, /password: scrypt\$/);

  const store = createUserStore(silentLogger, { file: usersFile, adminPassword: null, adminToken: null });
  assert.equal((await store.login('alice', 'first-secret-pw'))?.role, 'admin');
  assert.equal((await store.login('bob', 'piped-secret-pw'))?.role, 'viewer');
  assert.equal(await store.login('bob', 'first-secret-pw'), null);

  const token = run(['token', 'prometheus', '--role', 'viewer']);
  assert.equal(token.status, 0, token.stderr);
  const printed = token.stdout.trim().split('\n').at(-1)!;
  assert.match(printed, /^nmt_[0-9a-f]{12}_/);
  assert.ok(!readFileSync(usersFile, 'utf8').includes(printed), 'the token is not stored, only its hash');
  assert.deepEqual(store.bearer(printed), { name: 'prometheus', role: 'viewer' });
  assert.equal(run(['token', 'nobody']).status, 2, 'a service token needs a role');

  const list = run(['list']);
  assert.match(list.stdout, /user +alice +admin/);
  assert.match(list.stdout, /user +bob +viewer/);
  assert.match(list.stdout, /token +[0-9a-f]{12} +prometheus +viewer +service/);

  assert.equal(run(['passwd', 'bob'], 'second-secret-pw\n').status, 0);
  assert.equal(await store.login('bob', 'piped-secret-pw'), null);
  assert.ok(await store.login('bob', 'second-secret-pw'));

  assert.equal(run(['remove', 'bob']).status, 0);
  assert.equal(await store.login('bob', 'second-secret-pw'), null);
  const gone = run(['remove', 'bob']);
  assert.equal(gone.status, 1);
  assert.match(gone.stderr, /no user or service "bob"/);
  assert.equal(run(['add', 'eve', '--role', 'root', '--password-file', pwFile]).status, 2);
  assert.match(run(['add', 'eve', '--role', 'viewer'], 'short\n').stderr, /password: must be at least 8 characters/);
  assert.equal(run(['frobnicate']).status, 2);
});
