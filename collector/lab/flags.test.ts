import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { LAB_FLAGS, LAB_USAGE, parseLabFlags } from './flags.js';
import { isLoopback, parseDeviceSet, resolveLabOptions } from './options.js';

const flags = (...args: string[]) => parseLabFlags(parseArgs({ args, options: LAB_FLAGS, allowPositionals: false, strict: true }).values);
const base = ['--devices', '10', '--ports', '48', '--base-port', '21161'];

test('device sets: indexes, ranges, all; errors name the flag', () => {
  const cases: Array<{ name: string; text: string; want: number[] | RegExp }> = [
    { name: 'one index', text: '3', want: [3] },
    { name: 'a range', text: '0-3', want: [0, 1, 2, 3] },
    { name: 'a list with a range, unsorted, repeated', text: '7, 0-1,1', want: [0, 1, 7] },
    { name: 'all', text: 'all', want: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
    { name: 'out of range', text: '5-10', want: /--slow: device index 10 is out of range 0\.\.9/ },
    { name: 'backwards', text: '3-1', want: /--slow: range 3-1 runs backwards/ },
    { name: 'garbage', text: 'first', want: /--slow: expected device indexes like 0-9/ },
    { name: 'negative', text: '-1', want: /expected device indexes/ },
  ];
  for (const c of cases) {
    if (c.want instanceof RegExp) assert.throws(() => parseDeviceSet(c.text, 10, '--slow'), c.want, c.name);
    else assert.deepEqual(parseDeviceSet(c.text, 10, '--slow'), c.want, c.name);
  }
});

test('loopback only: 127.0.0.0/8 and ::1', () => {
  const cases: Array<[string, boolean]> = [['127.0.0.1', true], ['127.1.2.3', true], ['::1', true], ['0.0.0.0', false], ['10.0.0.1', false], ['localhost', false], ['::', false], ['127.0.0.256', false]];
  for (const [host, ok] of cases) assert.equal(isLoopback(host), ok, host);
});

test('flags become options with defaults', () => {
  const { options, writeDevices } = flags(...base, '--only-32bit', '0-1', '--near-wrap', '2', '--slow', '3', '--slow-ms', '700', '--dead', '9', '--write-devices', '/tmp/x.yaml');
  assert.equal(writeDevices, '/tmp/x.yaml');
  assert.deepEqual(
    { ...options },
    { devices: 10, ports: 48, basePort: 21161, host: '127.0.0.1', community: 'public', only32bit: [0, 1], shortMib: [], nearWrap: [2], slow: [3], slowMs: 700, dead: [9], seed: 1, daySeconds: 3600, idPrefix: 'lab' },
  );
  const v3 = flags(...base, '--v3-user', 'labuser', '--v3-auth-key', 'authpass1', '--v3-priv-key', 'privpass1').options.v3;
  assert.deepEqual(v3, { user: 'labuser', authKey: 'authpass1', privKey: 'privpass1' });
});

test('bad flags are usage errors naming the flag', () => {
  const cases: Array<{ name: string; args: string[]; want: RegExp }> = [
    { name: 'missing --devices', args: ['--ports', '4', '--base-port', '21161'], want: /--devices N is required/ },
    { name: 'not a number', args: ['--devices', 'ten', '--ports', '4', '--base-port', '21161'], want: /--devices: expected a whole number, got "ten"/ },
    { name: 'non-loopback host', args: [...base, '--host', '0.0.0.0'], want: /--host: must be a loopback address: 127\.0\.0\.0\/8 or ::1/ },
    { name: 'ports past 65535', args: ['--devices', '100', '--ports', '4', '--base-port', '65500'], want: /--base-port: 100 devices from port 65500 would need ports up to 65599/ },
    { name: 'privileged port', args: ['--devices', '1', '--ports', '4', '--base-port', '161'], want: /--base-port: / },
    { name: 'too many ports', args: ['--devices', '1', '--ports', '5000', '--base-port', '21161'], want: /--ports: / },
    { name: 'half a v3 user', args: [...base, '--v3-user', 'u'], want: /--v3-user, --v3-auth-key and --v3-priv-key go together/ },
    { name: 'short v3 key', args: [...base, '--v3-user', 'u', '--v3-auth-key', 'short', '--v3-priv-key', 'longenough'], want: /--v3-auth-key: must be at least 8 characters/ },
    { name: 'set out of range', args: [...base, '--dead', '10'], want: /--dead: device index 10 is out of range 0\.\.9/ },
  ];
  for (const c of cases) assert.throws(() => flags(...c.args), (e: Error & { code?: string }) => c.want.test(e.message) && e.code === 'NETMON_ERR_USAGE', c.name);
});

test('createLab options: a config error names the field; unknown options are refused', () => {
  assert.throws(() => resolveLabOptions({ devices: 2, ports: 4, basePort: 21161, dead: [2] }), /lab\.dead\[0\]: device index 2 is out of range 0\.\.1/);
  assert.throws(() => resolveLabOptions({ devices: 2, ports: 4, basePort: 21161, colour: 'red' } as never), /unknown option "colour"; allowed: devices, ports/);
  assert.ok(Object.isFrozen(resolveLabOptions({ devices: 1, ports: 1, basePort: 21161 })));
});

test('--help documents every flag', () => {
  for (const flag of Object.keys(LAB_FLAGS)) assert.match(LAB_USAGE, new RegExp(`--${flag}\\b`), flag);
});
