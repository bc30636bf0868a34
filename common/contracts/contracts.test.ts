import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeCounterSample, encodeCounterSample, decodeTrafficDelta, encodeTrafficDelta, decodeWindowResult, encodeWindowResult,
  decodeAlertEvent, encodeAlertEvent, decodeSampleRecord, decodeConfigChange, encodeConfigChange, parseConfigKey, configKey,
  type CounterSampleInput, type WindowResultInput,
} from './index.js';
import { encodeJson } from './codec.js';
import { DecodeError } from '../errors.js';
import { deviceSchema } from '../config/schema.js';

const sample: CounterSampleInput = {
  deviceId: 'r1', source: 'snmp', ts: 1_700_000_000_123, sysUpTime: 4294967295,
  interfaces: [{
    ifIndex: 1, name: 'eth0', alias: 'uplink', speed: 1e10, operStatus: 'up', width: 64,
    inOctets: (1n << 64n) - 1n, outOctets: 12345678901234567890n, inPackets: 0n, outPackets: 9007199254740993n,
    inErrors: 1n, outErrors: undefined, inDiscards: 4294967295n, outDiscards: 0n, discontinuityTime: 0,
  }],
};

const window: WindowResultInput = {
  deviceId: 'r1', ifIndex: 3, ifName: 'eth0', windowStart: 1_700_000_040_000, windowEnd: 1_700_000_100_000,
  inOctets: 9007199254740993n, outOctets: 1n, inPackets: 2n, outPackets: 3n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n,
  inBps: 1.5, outBps: 2, inPps: 0.1, outPps: 0.2, inAvgPacketSize: 64, outAvgPacketSize: null, speed: 1e9, inUtilization: 0.1, outUtilization: null,
  peakInBps: 3, peakOutBps: 4, coverage: 0.5, sampleCount: 6, revision: 1,
};

test('CounterSample round-trips counters beyond 2^53 exactly, as decimal strings on the wire', () => {
  const wire = encodeCounterSample(sample);
  assert.match(wire, /"inOctets":"18446744073709551615"/);
  assert.match(wire, /"outPackets":"9007199254740993"/);
  const back = decodeCounterSample(wire);
  assert.equal(back.v, 1);
  assert.equal(back.interfaces[0].inOctets, (1n << 64n) - 1n);
  assert.equal(back.interfaces[0].outPackets, 9007199254740993n);
  assert.equal(back.interfaces[0].outErrors, undefined);
});

test('WindowResult and TrafficDelta and AlertEvent round-trip', () => {
  assert.deepEqual({ ...decodeWindowResult(encodeWindowResult(window)) }, { v: 1, kind: 'window-result', ...window });
  // The fast encoder writes what the generic one does, nulls, odd strings and extreme numbers included.
  for (const w of [
    window,
    { ...window, ifIndex: null, ifName: null, inAvgPacketSize: null, outAvgPacketSize: null, speed: null, inUtilization: null, outUtilization: null },
    { ...window, deviceId: 'r"1\\ \u00e9\n', ifName: '\u0000x"', inOctets: (1n << 64n) - 1n, inBps: 1e21, outBps: 1e-7, inPps: -0, outPps: Number.NaN, coverage: 1 / 3 },
  ]) {
    assert.equal(encodeWindowResult(w), encodeJson({ v: 1, kind: 'window-result', ...w }));
  }
  const delta = { deviceId: 'cap', source: 'pcap' as const, ifIndex: 1, ifName: 'pcap', start: 1000, end: 2000, inOctets: 10n, outOctets: 0n, inPackets: 1n, outPackets: 0n, final: true };
  assert.deepEqual({ ...decodeTrafficDelta(encodeTrafficDelta(delta)) }, { v: 1, kind: 'traffic-delta', ...delta });
  const alert = { ruleId: 'hot', deviceId: 'r1', ifIndex: null, state: 'firing' as const, severity: 'warning' as const, metric: 'inBps', value: 9, threshold: 8, windowStart: 0, ts: 1, message: 'hot' };
  assert.deepEqual({ ...decodeAlertEvent(encodeAlertEvent(alert)) }, { v: 1, kind: 'alert-event', ...alert });
});

const bad: Array<{ name: string; mutate: (o: Record<string, unknown>) => void; field: RegExp }> = [
  { name: 'negative counter', mutate: (o) => ((o.interfaces as Record<string, unknown>[])[0].inOctets = '-1'), field: /^interfaces\[0\]\.inOctets$/ },
  { name: 'counter as number', mutate: (o) => ((o.interfaces as Record<string, unknown>[])[0].outOctets = 5), field: /^interfaces\[0\]\.outOctets$/ },
  { name: 'counter above 2^64-1', mutate: (o) => ((o.interfaces as Record<string, unknown>[])[0].inPackets = '18446744073709551616'), field: /^interfaces\[0\]\.inPackets$/ },
  { name: 'width 16', mutate: (o) => ((o.interfaces as Record<string, unknown>[])[0].width = 16), field: /^interfaces\[0\]\.width$/ },
  { name: 'missing deviceId', mutate: (o) => delete o.deviceId, field: /^deviceId$/ },
  { name: 'future version', mutate: (o) => (o.v = 2), field: /^v$/ },
  { name: 'ts not a number', mutate: (o) => (o.ts = 'now'), field: /^ts$/ },
];

for (const c of bad) {
  test(`a malformed CounterSample is rejected naming the field: ${c.name}`, () => {
    const obj = JSON.parse(encodeCounterSample(sample)) as Record<string, unknown>;
    c.mutate(obj);
    assert.throws(() => decodeCounterSample(JSON.stringify(obj)), (err: unknown) => {
      assert.ok(err instanceof DecodeError);
      assert.match(err.field, c.field);
      assert.equal(err.code, 'NETMON_ERR_DECODE');
      return true;
    });
  });
}

test('garbage bytes, empty messages and unknown kinds give a DecodeError, never a crash', () => {
  for (const input of ['{', '', 'null', '[]', '"x"', Buffer.from([0xff, 0xfe, 0x00])]) {
    assert.throws(() => decodeSampleRecord(input), DecodeError);
  }
  assert.throws(() => decodeSampleRecord(null), /empty/);
  assert.throws(() => decodeSampleRecord('{"kind":"nope"}'), (e: unknown) => e instanceof DecodeError && e.field === 'kind' && /counter-sample, traffic-delta/.test(e.message));
});

test('decodeSampleRecord dispatches on kind', () => {
  assert.equal(decodeSampleRecord(encodeCounterSample(sample)).kind, 'counter-sample');
  const d = decodeSampleRecord(encodeTrafficDelta({ deviceId: 'c', source: 'pcap', ifIndex: 1, ifName: 'p', start: 0, end: 1000, inOctets: 1n, outOctets: 1n, inPackets: 1n, outPackets: 1n, final: false }));
  assert.equal(d.kind, 'traffic-delta');
  assert.throws(() => decodeSampleRecord(JSON.stringify({ ...JSON.parse(encodeTrafficDelta({ deviceId: 'c', source: 'pcap', ifIndex: 1, ifName: 'p', start: 5, end: 1, inOctets: 1n, outOctets: 1n, inPackets: 1n, outPackets: 1n, final: false })) })), /end/);
});

test('ConfigChange carries the device with its secret revealed; tombstones decode to null; keys parse', () => {
  const device = deviceSchema.parse({ id: 'sw1', host: '127.0.0.1', snmp: { version: '2c', community: 's3cret' } });
  const wire = encodeConfigChange({ ts: 5, device });
  assert.match(wire, /"community":"s3cret"/);
  const back = decodeConfigChange(wire);
  assert.equal(back?.device?.id, 'sw1');
  assert.equal(String(back?.device?.snmp.version === '2c' ? back.device.snmp.community : ''), '<secret>');
  assert.equal(decodeConfigChange(null), null);
  assert.deepEqual(parseConfigKey(configKey('device', 'sw1')), { kind: 'device', id: 'sw1' });
  assert.throws(() => parseConfigKey('host:sw1'), /device:<id>/);
});
