// The device id's character set: what is allowed, what is refused and why, the same verdict from the
// function, the zod schema and the JSON-schema pattern, and file names that stay inside their folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEVICE_ID_PATTERN, deviceFileName, deviceIdProblem, deviceIdSchema } from './device-id.js';
import { decodeCounterSample, encodeCounterSample } from './index.js';
import { deviceSchema } from '../config/schema.js';

const allowed: Array<[string, string]> = [
  ['old style', 'core-sw1.lab_2'],
  ['spaces, commas, equals, quotes, backslashes', 'core sw,1=a"b\\'],
  ['leading dash and dot', '-x.'],
  ['slashes and dots', '../etc/passwd'],
  ['non-Latin letters', 'Коммутатор 東京'],
  ['emoji (surrogate pairs count once)', '😀'.repeat(128)],
  ['format characters (ZWJ sequence)', 'sw 👩\u200d💻'],
  ['128 characters', 'x'.repeat(128)],
];

const refused: Array<[string, string, RegExp]> = [
  ['empty', '', /must not be empty/],
  ['newline', 'a\nb', /control character \(C0\), U\+000A, at character 2/],
  ['tab', '\tx', /U\+0009, at character 1/],
  ['NUL', 'x\u0000', /C0/],
  ['DEL', 'x\u007f', /DEL/],
  ['C1 (NEL)', 'x\u0085', /C1\), U\+0085/],
  ['line separator', 'x\u2028', /line separator/],
  ['paragraph separator', 'x\u2029', /paragraph separator/],
  ['unpaired surrogate', 'x\ud800y', /unpaired surrogate, U\+D800, at character 2/],
  ['129 characters', 'x'.repeat(129), /is 129 characters long; at most 128/],
];

for (const [name, id] of allowed) {
  test(`device id allowed: ${name}`, () => {
    assert.equal(deviceIdProblem(id), null);
    assert.ok(DEVICE_ID_PATTERN.test(id));
    assert.equal(deviceIdSchema.parse(id), id);
    assert.equal(deviceSchema.parse({ id, host: 'h', snmp: { version: '2c', community: 'c' } }).id, id);
  });
}

for (const [name, id, reason] of refused) {
  test(`device id refused with a named reason: ${name}`, () => {
    assert.match(deviceIdProblem(id) ?? '', reason);
    assert.equal(DEVICE_ID_PATTERN.test(id), false);
    const r = deviceIdSchema.safeParse(id);
    assert.equal(r.success, false);
    assert.match(r.error?.issues[0]?.message ?? '', reason);
  });
}

test('the Kafka contracts refuse a device id with a control character, naming deviceId', () => {
  const wire = encodeCounterSample({ deviceId: 'bad\nid', source: 'snmp', ts: 1, sysUpTime: 1, interfaces: [] });
  assert.throws(() => decodeCounterSample(wire), (e: Error & { field?: string }) => e.field === 'deviceId' && /U\+000A/.test(e.message));
  assert.equal(decodeCounterSample(encodeCounterSample({ deviceId: 'core sw,1=a"b\\', source: 'snmp', ts: 1, sysUpTime: 1, interfaces: [] })).deviceId, 'core sw,1=a"b\\');
});

test('deviceFileName: old ids unchanged; separators, dot names and long ids made safe; distinct ids stay distinct', () => {
  assert.equal(deviceFileName('core-sw1.lab_2'), 'core-sw1.lab_2');
  const names = new Set<string>();
  for (const id of ['../x', '..', '.', 'a/b', 'a\\b', 'a%2Fb', '東'.repeat(128), '東'.repeat(127), 'x'.repeat(128)]) {
    const n = deviceFileName(id);
    assert.ok(!/[/\\]/.test(n) && n !== '.' && n !== '..' && !n.startsWith('.'), `${id} -> ${n}`);
    assert.ok(Buffer.byteLength(n) <= 200, `${id} -> ${n.length}`);
    names.add(n);
  }
  assert.equal(names.size, 9);
});
