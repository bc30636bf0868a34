// Tests of the pure auth decisions: role order and access, proxy trust and group mapping, password
// and token hashing, the session cookie's crypto (rotation, expiry, tampering), the failure limiter,
// CSRF and origin checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../common/errors.js';
import { createFailureLimiter } from './failure-limiter.js';
import { hashPassword, isPasswordHash, newToken, tokenHash, tokenId, verifyPassword } from './passwords.js';
import { csrfProblem, isLoopbackHost, originAllowed } from './policy.js';
import { createProxyTrust, parseGroups, proxyRole, proxyUserName } from './proxy-trust.js';
import { decideAccess, highestRole, lowerRole, roleAtLeast, type Identity, type Requirement } from './roles.js';
import { aesKey, newSession, openSession, proxyCsrf, sealSession, sessionState, touchSession } from './session-cookie.js';

const FAST = { N: 1024, r: 8, p: 1 };

void test('roles: order, highest, lower', () => {
  assert.equal(roleAtLeast('admin', 'viewer'), true);
  assert.equal(roleAtLeast('operator', 'operator'), true);
  assert.equal(roleAtLeast('viewer', 'operator'), false);
  assert.equal(roleAtLeast('operator', 'admin'), false);
  assert.equal(highestRole(['viewer', null, 'operator', undefined]), 'operator');
  assert.equal(highestRole([]), null);
  assert.equal(lowerRole('admin', 'viewer'), 'viewer');
  assert.equal(lowerRole('operator', 'admin'), 'operator');
});

void test('decideAccess: every requirement against every kind of client', () => {
  const who = (role: Identity['role']): Identity => ({ name: 'u', via: 'session', role });
  const clients: Record<string, Identity | null> = { nobody: null, none: who(null), viewer: who('viewer'), operator: who('operator'), admin: who('admin') };
  const want: Record<Requirement, Record<string, string>> = {
    anonymous: { nobody: 'ok', none: 'ok', viewer: 'ok', operator: 'ok', admin: 'ok' },
    viewer: { nobody: '401', none: '403', viewer: 'ok', operator: 'ok', admin: 'ok' },
    operator: { nobody: '401', none: '403', viewer: '403', operator: 'ok', admin: 'ok' },
    admin: { nobody: '401', none: '403', viewer: '403', operator: '403', admin: 'ok' },
  };
  for (const [need, row] of Object.entries(want) as [Requirement, Record<string, string>][]) {
    for (const [name, client] of Object.entries(clients)) {
      const d = decideAccess(need, client);
      assert.equal(d.ok ? 'ok' : String(d.status), row[name], `${name} on a ${need} route`);
    }
  }
  const refused = decideAccess('admin', who('viewer'));
  assert.ok(!refused.ok && /needs role admin; u has viewer/.test(refused.message));
});

void test('proxy trust: addresses and CIDRs, v4-mapped peers, bad entries named', () => {
  const trust = createProxyTrust(['10.0.0.5', '192.168.1.0/24', 'fd00::/64']);
  const cases: [string, boolean][] = [
    ['10.0.0.5', true],
    ['::ffff:10.0.0.5', true],
    ['10.0.0.6', false],
    ['192.168.1.200', true],
    ['192.168.2.1', false],
    ['fd00::1', true],
    ['fd01::1', false],
    ['127.0.0.1', false],
    ['garbage', false],
  ];
  for (const [peer, want] of cases) assert.equal(trust.trusts(peer), want, peer);
  for (const bad of ['10.0.0.0/33', 'proxy.example', '10.0.0.1/8/1', '10.0.0.0/x']) {
    assert.throws(() => createProxyTrust(['10.0.0.1', bad]), (e: unknown) => e instanceof ConfigError && e.path === 'dashboard.auth.proxy.trustedProxies[1]', bad);
  }
});

void test('proxy roles: highest mapped group, else the default, else none; names and groups parsed', () => {
  const map = { ops: 'operator', netadmins: 'admin', staff: 'viewer' } as const;
  assert.equal(proxyRole(['staff', 'ops'], map, undefined), 'operator');
  assert.equal(proxyRole(['netadmins', 'staff'], map, undefined), 'admin');
  assert.equal(proxyRole(['other'], map, 'viewer'), 'viewer');
  assert.equal(proxyRole(['other'], map, undefined), null);
  assert.equal(proxyRole(['__proto__', 'constructor'], map, undefined), null);
  assert.deepEqual(parseGroups(' ops, staff ,,netadmins'), ['ops', 'staff', 'netadmins']);
  assert.deepEqual(parseGroups(undefined), []);
  assert.equal(proxyUserName(' alice '), 'alice');
  assert.equal(proxyUserName('a\u0000b'), null);
  assert.equal(proxyUserName(''), null);
});

void test('passwords: scrypt with salt and parameters in the hash, verified with those parameters', async () => {
  const a = await hashPassword('correct horse', FAST);
  const b = await hashPassword('correct horse', FAST);
  assert.ok(isPasswordHash(a));
  assert.match(a, /^scrypt\$1024\$8\$1\$/);
  assert.notEqual(a, b, 'a salt per hash');
  assert.ok(!a.includes('correct horse'));
  assert.equal(await verifyPassword('correct horse', a), true);
  assert.equal(await verifyPassword('correct horsE', a), false);
  assert.equal(await verifyPassword('correct horse', 'scrypt$1024$8$1$short$x'), false, 'a malformed hash verifies nothing');
  assert.equal(await verifyPassword('x', a.replace('$1024$', '$1000$')), false, 'N must be a power of two');
});

void test('tokens: random, the id readable, only a hash to store', () => {
  const t = newToken();
  assert.match(t.token, /^nmt_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  assert.equal(tokenId(t.token), t.id);
  assert.equal(t.hash, tokenHash(t.token));
  assert.ok(!t.hash.includes(t.token.slice(17)));
  assert.notEqual(newToken().token, t.token);
  assert.equal(tokenId('nmt_zz_abc'), null);
  assert.equal(tokenId(`${t.token}x`), null);
});

void test('session cookie: sealed and opened, rotation, tampering, expiry', () => {
  const k1 = aesKey('k1'.repeat(20));
  const k2 = aesKey('k2'.repeat(20));
  const s = newSession({ name: 'alice', uid: 'uid-1', epoch: 3 }, 1_000, 60_000);
  const cookie = sealSession(s, k1);
  assert.ok(!cookie.includes('alice') && !Buffer.from(cookie, 'base64url').toString('latin1').includes('alice'), 'encrypted, not just signed');
  assert.deepEqual(openSession(cookie, [k1]), s);
  assert.deepEqual(openSession(cookie, [k2, k1]), s, 'an old key still opens (rotation)');
  assert.equal(openSession(cookie, [k2]), null, 'a key dropped from the list no longer opens');
  const raw = Buffer.from(cookie, 'base64url');
  for (const at of [0, 5, 20, raw.length - 1]) {
    const bad = Buffer.from(raw);
    bad[at] ^= 1;
    assert.equal(openSession(bad.toString('base64url'), [k1]), null, `byte ${at} flipped`);
  }
  assert.equal(openSession('', [k1]), null);
  assert.equal(openSession('x'.repeat(5000), [k1]), null);
  assert.notEqual(sealSession(s, k1), cookie, 'a fresh IV each time');

  assert.equal(sessionState(s, 1_000, 30_000), 'valid');
  assert.equal(sessionState(s, 31_000, 30_000), 'idle');
  assert.equal(sessionState(s, 61_000, 120_000), 'expired');
  assert.equal(touchSession(s, 30_000), null, 'not worth a new cookie within the minute');
  const later = touchSession(s, 61_500);
  assert.equal(later?.seen, 61_500);
  assert.equal(later?.exp, s.exp, 'touching never extends the absolute expiry');

  assert.equal(proxyCsrf('alice', k1), proxyCsrf('alice', k1));
  assert.notEqual(proxyCsrf('alice', k1), proxyCsrf('bob', k1));
});

void test('failure limiter: blocks after max failures until the window ends, bounded memory', () => {
  const l = createFailureLimiter({ max: 3, windowMs: 60_000, maxClients: 2 });
  assert.equal(l.fail('a', 0), 0);
  assert.equal(l.fail('a', 1_000), 0);
  assert.equal(l.fail('a', 2_000), 58_000);
  assert.equal(l.blockedFor('a', 10_000), 50_000);
  assert.equal(l.blockedFor('b', 10_000), 0, 'per client address');
  assert.equal(l.blockedFor('a', 60_000), 0, 'the next window starts clean');
  l.fail('a', 61_000);
  l.fail('b', 61_000);
  l.fail('c', 61_000);
  l.fail('a', 61_000);
  l.fail('a', 61_000);
  assert.equal(l.blockedFor('a', 61_000), 0, 'the oldest client was dropped to stay within maxClients');
});

void test('csrf and origin checks', () => {
  assert.equal(csrfProblem('GET', 'session', 'c', undefined), null);
  assert.equal(csrfProblem('POST', 'token', null, undefined), null, 'bearer tokens are not ambient');
  assert.equal(csrfProblem('POST', 'session', 'c', 'c'), null);
  assert.match(csrfProblem('POST', 'session', 'c', 'd') ?? '', /CSRF/);
  assert.match(csrfProblem('DELETE', 'proxy', 'c', undefined) ?? '', /CSRF/);
  assert.equal(isLoopbackHost('::ffff:127.0.0.1'), true);
  assert.equal(isLoopbackHost('10.0.0.1'), false);
  assert.equal(originAllowed(undefined, 'h:1', []), true);
  assert.equal(originAllowed('http://127.0.0.1:8080', '127.0.0.1:8080', []), true);
  assert.equal(originAllowed('http://evil.example', '127.0.0.1:8080', []), false);
  assert.equal(originAllowed('https://ops.example:8443', '127.0.0.1:8080', ['https://ops.example:8443']), true);
  assert.equal(originAllowed('null', '127.0.0.1:8080', []), false);
});
