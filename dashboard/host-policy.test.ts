// Table tests of the Host/Origin decision: IP addresses and localhost always, names only when
// configured, ports when an entry names one, Origins against the list (never the request's Host).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHostPolicy, parseHost } from './host-policy.js';

void test('parseHost', () => {
  const cases: Array<[string, ReturnType<typeof parseHost>]> = [
    ['netmon.lan', { name: 'netmon.lan', port: null }],
    ['NetMon.LAN.:8080', { name: 'netmon.lan', port: 8080 }],
    ['[::1]:80', { name: '::1', port: 80 }],
    ['10.0.0.1', { name: '10.0.0.1', port: null }],
    ['a b', null],
    ['user@host', null],
    ['host:99999', null],
    ['', null],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseHost(text), want, text);
});

void test('host and origin decisions', async (t) => {
  const policy = createHostPolicy({ listenHost: '0.0.0.0', publicUrl: 'https://netmon.example.net/', allowedHosts: ['nms', 'mon.lan:8080'], allowedOrigins: ['https://ops.example:8443'] });
  const cases: Array<{ name: string; host?: string; origin?: string; ok: boolean | 'host' | 'origin' }> = [
    { name: 'an IPv4 address', host: '192.0.2.10:8080', ok: true },
    { name: 'an IPv6 address', host: '[2001:db8::1]:8080', ok: true },
    { name: 'localhost', host: 'localhost:8080', ok: true },
    { name: 'a .localhost name', host: 'app.localhost', ok: true },
    { name: 'publicUrl host, any port', host: 'netmon.example.net', ok: true },
    { name: 'a bare allowed name matches any port', host: 'nms:9999', ok: true },
    { name: 'a name with a port matches that port', host: 'mon.lan:8080', ok: true },
    { name: 'and no other', host: 'mon.lan:8081', ok: 'host' },
    { name: 'a rebinding name', host: 'attacker.example:8080', ok: 'host' },
    { name: 'the wildcard listen address is no name', host: '0.0.0.0.example', ok: 'host' },
    { name: 'no Host', ok: 'host' },
    { name: 'garbage Host', host: 'a/b', ok: 'host' },
    { name: 'own origin', host: 'nms:8080', origin: 'http://nms:8080', ok: true },
    { name: 'listed origin', host: 'nms:8080', origin: 'https://ops.example:8443', ok: true },
    { name: 'publicUrl origin', host: 'nms:8080', origin: 'https://netmon.example.net', ok: true },
    { name: 'an IP origin', host: '192.0.2.10:8080', origin: 'http://192.0.2.10:8080', ok: true },
    { name: 'an origin naming the same (rebound) Host is still refused', host: 'nms', origin: 'http://attacker.example', ok: 'origin' },
    { name: 'the null origin', host: 'nms', origin: 'null', ok: 'origin' },
    { name: 'a non-http origin', host: 'nms', origin: 'file:///x', ok: 'origin' },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const d = policy.check(c.host, c.origin);
      if (c.ok === true) assert.deepEqual(d, { ok: true });
      else assert.equal(!d.ok && d.reason, c.ok);
    });
  }
  assert.deepEqual(policy.names, ['nms', 'mon.lan:8080', 'netmon.example.net']);
});

void test('a loopback dashboard without configuration answers its addresses and localhost only', () => {
  const policy = createHostPolicy({ listenHost: '127.0.0.1', allowedHosts: [], allowedOrigins: [] });
  assert.equal(policy.check('127.0.0.1:8080', undefined).ok, true);
  assert.equal(policy.check('localhost:8080', 'http://localhost:8080').ok, true);
  const d = policy.check('rebind.attacker.example:8080', 'http://rebind.attacker.example:8080');
  assert.deepEqual(d, { ok: false, reason: 'host', message: 'this dashboard does not answer to the name "rebind.attacker.example:8080" (Host header); add it to dashboard.allowedHosts or dashboard.publicUrl if it is really this dashboard\'s' });
});
