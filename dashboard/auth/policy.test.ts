// Tests of the auth decisions: who may write, when the server refuses to start, origin checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../common/errors.js';
import { checkListenSafety, decideWrite, isLoopbackHost, originAllowed, type Credentials, type WriteRequest } from './policy.js';

const none: Credentials = { password: null, token: null };
const both: Credentials = { password: 'pw', token: 'tok' };
const base: WriteRequest = { bearer: undefined, sessionCsrf: null, csrfHeader: undefined, remoteLoopback: true, originOk: true };

void test('decideWrite: table of cases', () => {
  const cases: { name: string; r: Partial<WriteRequest>; c: Credentials; want: string }[] = [
    { name: 'right bearer', r: { bearer: 'tok', remoteLoopback: false }, c: both, want: 'ok:token' },
    { name: 'wrong bearer', r: { bearer: 'nope' }, c: both, want: '401' },
    { name: 'bearer without a token configured', r: { bearer: 'pw' }, c: { password: 'pw', token: null }, want: '401' },
    { name: 'session with right csrf', r: { sessionCsrf: 'c1', csrfHeader: 'c1' }, c: both, want: 'ok:session' },
    { name: 'session with wrong csrf', r: { sessionCsrf: 'c1', csrfHeader: 'c2' }, c: both, want: '403' },
    { name: 'session without csrf', r: { sessionCsrf: 'c1' }, c: both, want: '403' },
    { name: 'nothing, credentials configured, from loopback', r: {}, c: both, want: '401' },
    { name: 'nothing, no credentials, loopback client', r: {}, c: none, want: 'ok:loopback' },
    { name: 'nothing, no credentials, remote client', r: { remoteLoopback: false }, c: none, want: '401' },
    { name: 'foreign origin even with a token', r: { bearer: 'tok', originOk: false }, c: both, want: '403' },
    { name: 'foreign origin, open loopback', r: { originOk: false }, c: none, want: '403' },
  ];
  for (const c of cases) {
    const d = decideWrite({ ...base, ...c.r }, c.c);
    assert.equal(d.ok ? `ok:${d.via}` : String(d.status), c.want, c.name);
  }
});

void test('checkListenSafety: a non-loopback listener needs a credential, naming dashboard.auth and the host', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) assert.doesNotThrow(() => checkListenSafety(host, none), host);
  for (const host of ['0.0.0.0', '::', '192.0.2.10', 'dash.example']) {
    assert.throws(
      () => checkListenSafety(host, none),
      (err: unknown) => err instanceof ConfigError && err.path === 'dashboard.auth' && err.message.includes('dashboard.host') && err.message.includes(JSON.stringify(host)),
      host,
    );
    assert.doesNotThrow(() => checkListenSafety(host, { password: 'x', token: null }), host);
    assert.doesNotThrow(() => checkListenSafety(host, { password: null, token: 'x' }), host);
  }
});

void test('isLoopbackHost and originAllowed', () => {
  assert.equal(isLoopbackHost('::ffff:127.0.0.1'), true);
  assert.equal(isLoopbackHost('10.0.0.1'), false);
  assert.equal(originAllowed(undefined, 'h:1', []), true);
  assert.equal(originAllowed('http://127.0.0.1:8080', '127.0.0.1:8080', []), true);
  assert.equal(originAllowed('http://evil.example', '127.0.0.1:8080', []), false);
  assert.equal(originAllowed('https://ops.example:8443', '127.0.0.1:8080', ['https://ops.example:8443']), true);
  assert.equal(originAllowed('null', '127.0.0.1:8080', []), false);
  assert.equal(originAllowed('file:///x', '127.0.0.1:8080', []), false);
});
