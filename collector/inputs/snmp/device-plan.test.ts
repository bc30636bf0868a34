import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceSchema, type DeviceConfig } from '../../../common/config/schema.js';
import { decodeConfigChange, encodeConfigChange } from '../../../common/contracts/config-change.js';
import { createDesiredDevices, planDeviceActions, type DeviceAction } from './device-plan.js';

const dev = (id: string, extra: Record<string, unknown> = {}): DeviceConfig =>
  deviceSchema.parse({ id, host: '127.0.0.1', port: 1161, snmp: { version: '2c', community: 'public' }, ...extra });
const map = (...ds: DeviceConfig[]) => new Map(ds.map((d) => [d.id, d]));
const brief = (a: DeviceAction) => (a.kind === 'stop' ? `stop ${a.id} (${a.reason})` : a.kind === 'start' ? `start ${a.device.id}` : `update ${a.device.id}${a.reconnect ? ' reconnect' : ''}${a.rediscover ? ' rediscover' : ''}`);

const cases: Array<{ name: string; desired: Map<string, DeviceConfig>; running: Map<string, DeviceConfig>; want: string[] }> = [
  { name: 'same set: nothing to do', desired: map(dev('a'), dev('b')), running: map(dev('a'), dev('b')), want: [] },
  { name: 'added device starts', desired: map(dev('a'), dev('b')), running: map(dev('a')), want: ['start b'] },
  { name: 'added but disabled: not started', desired: map(dev('a'), dev('b', { enabled: false })), running: map(dev('a')), want: [] },
  { name: 'removed device stops', desired: map(dev('a')), running: map(dev('a'), dev('b')), want: ['stop b (removed)'] },
  { name: 'disabled device stops', desired: map(dev('a', { enabled: false })), running: map(dev('a')), want: ['stop a (disabled)'] },
  { name: 'new community: a new session', desired: map(dev('a', { snmp: { version: '2c', community: 'other' } })), running: map(dev('a')), want: ['update a reconnect'] },
  { name: 'new port: a new session', desired: map(dev('a', { port: 2161 })), running: map(dev('a')), want: ['update a reconnect'] },
  { name: 'new timeout: a new session', desired: map(dev('a', { timeoutMs: 500 })), running: map(dev('a')), want: ['update a reconnect'] },
  { name: 'new interface filter: rediscover', desired: map(dev('a', { interfaces: { include: ['^ge-'] } })), running: map(dev('a')), want: ['update a rediscover'] },
  { name: 'new speed override: rediscover', desired: map(dev('a', { speedOverrides: { lo: 0 } })), running: map(dev('a')), want: ['update a rediscover'] },
  { name: 'new tags only: settings update, same session and interfaces', desired: map(dev('a', { tags: ['x'] })), running: map(dev('a')), want: ['update a'] },
];
for (const c of cases) {
  test(`plan: ${c.name}`, () => assert.deepEqual(planDeviceActions(c.desired, c.running).map(brief), c.want));
}

test('desired set: devices.yaml first, then the topic adds, replaces and deletes by key', () => {
  const d = createDesiredDevices([dev('a'), dev('b')]);
  const change = (device: DeviceConfig) => decodeConfigChange(encodeConfigChange({ ts: 1, device }));
  assert.equal(d.apply('device:c', change(dev('c'))), true);
  assert.equal(d.apply('device:a', change(dev('a', { port: 9999 }))), true);
  assert.equal(d.apply('device:a', change(dev('a', { port: 9999 }))), false, 'the same settings again change nothing');
  assert.equal(d.apply('device:b', null), true, 'a tombstone deletes');
  assert.equal(d.apply('device:zz', null), false, 'deleting what is not there changes nothing');
  assert.equal(d.apply('rule:r1', decodeConfigChange(JSON.stringify({ v: 1, kind: 'config-change', ts: 1, rule: { x: 1 } }))), false, 'rules are not the collector\'s');
  assert.deepEqual([...d.devices.keys()].sort(), ['a', 'c']);
  assert.equal(d.devices.get('a')?.port, 9999);
  assert.equal(d.devices.get('c')?.snmp.version, '2c');
  const c = d.devices.get('c');
  assert.ok(c && c.snmp.version === '2c' && c.snmp.community.reveal() === 'public', 'secrets arrive revealed and are kept as secrets');
});

test('desired set: bad records name what is wrong and change nothing', () => {
  const d = createDesiredDevices([dev('a')]);
  const bad: Array<[string, string, RegExp]> = [
    ['device:a', JSON.stringify({ v: 1, kind: 'config-change', ts: 1 }), /device: config record device:a has no device/],
    ['device:x', encodeConfigChange({ ts: 1, device: dev('y') }), /device\.id: .*carries device "y"/],
    ['nonsense', encodeConfigChange({ ts: 1, device: dev('a') }), /config key must be/],
    ['device:a', JSON.stringify({ v: 1, kind: 'config-change', ts: 1, device: { id: 'a', host: 'h' } }), /snmp/],
  ];
  for (const [key, value, want] of bad) assert.throws(() => d.apply(key, decodeConfigChange(value)), want, key);
  assert.deepEqual([...d.devices.keys()], ['a']);
  assert.equal(d.devices.get('a')?.port, 1161);
});
