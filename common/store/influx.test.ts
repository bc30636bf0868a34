import assert from 'node:assert/strict';
import { test } from 'node:test';
import Influx from 'influx';
import type { WindowResultInput } from '../contracts/window-result.js';
import { deviceFromTag, deviceTag, escapeMeasurement, escapeTag, influxString, isPermanentHttpStatus, quoteField, windowToLine, windowToPoint } from './influx.js';

const base: WindowResultInput = {
  deviceId: 'core-1', ifIndex: 3, ifName: 'ge-0/0/3 "uplink" \\ x', windowStart: 1_700_000_040_000, windowEnd: 1_700_000_100_000,
  inOctets: 18_446_744_073_709_551_615n, outOctets: 7n, inPackets: 9n, outPackets: 1n, inErrors: 0n, outErrors: 2n, inDiscards: 0n, outDiscards: 0n,
  inBps: 1234.5678, outBps: 0.1, inPps: 3, outPps: 1e-7, inAvgPacketSize: 1500, outAvgPacketSize: null, speed: 1e9,
  inUtilization: 12.5, outUtilization: null, peakInBps: 99999.25, peakOutBps: 0, coverage: 0.75, sampleCount: 7, revision: 2,
};

/** What the influx package writes for windowToPoint: the reference line. */
function packageLine(w: WindowResultInput): string {
  const p = windowToPoint(w);
  const tags = Object.entries(p.tags ?? {}).sort().map(([k, v]) => `${Influx.escape.tag(k)}=${Influx.escape.tag(v)}`);
  const fields = Object.keys(p.fields ?? {}).sort().map((k) => {
    const v = (p.fields as Record<string, unknown>)[k];
    return `${Influx.escape.tag(k)}=${typeof v === 'string' ? Influx.escape.quoted(v) : String(v)}`;
  });
  return `${Influx.escape.measurement(p.measurement ?? '')},${tags.join(',')} ${fields.join(',')} ${(p.timestamp as Date).getTime()}`;
}

test('windowToLine writes exactly what the influx package makes of windowToPoint', () => {
  for (const w of [base, { ...base, ifIndex: null, ifName: null }, { ...base, deviceId: 'edge 2,rack=b', inAvgPacketSize: null, speed: null, inUtilization: null }]) {
    assert.equal(windowToLine(w), packageLine(w));
  }
  assert.match(windowToLine(base), /^interface_window,device=core-1,if_index=3 coverage=0.75,/);
});

test('line-protocol escapes: measurement (comma, space), tags and field keys (comma, equals, space), string fields (quote, backslash)', () => {
  const cases: Array<[string, (s: string) => string, string, string]> = [
    ['measurement', escapeMeasurement, 'a b,c=d', 'a\\ b\\,c=d'],
    ['tag', escapeTag, 'core sw,1=a"b', 'core\\ sw\\,1\\=a"b'],
    ['tag keeps backslashes (1.x does not unescape them)', escapeTag, 'a\\b', 'a\\b'],
    ['tag backslash before a special', escapeTag, 'a\\ b', 'a\\\\ b'],
    ['string field', quoteField, 'x"y\\', '"x\\"y\\\\"'],
    ['string field newline kept inside the quotes', quoteField, 'a\nb', '"a\nb"'],
  ];
  for (const [name, f, input, want] of cases) assert.equal(f(input), want, name);
});

test('deviceTag: no stored tag ends with a backslash; old ids unchanged; one to one', () => {
  const ids = ['core-1', 'a b', 'x\\', 'x\\\\', 'x ', 'x  ', 'x\\ ', 'core sw,1=a"b\\', ' lead'];
  const tags = new Set<string>();
  for (const id of ids) {
    const tag = deviceTag(id);
    assert.ok(!tag.endsWith('\\'), id);
    assert.equal(deviceFromTag(tag), id);
    tags.add(tag);
  }
  assert.equal(tags.size, ids.length);
  assert.equal(deviceTag('core-1'), 'core-1');
  assert.match(windowToLine({ ...base, deviceId: 'core sw,1=a"b\\' }), /^interface_window,device=core\\ sw\\,1\\=a"b\\\\ ,if_index=3 /);
});

test('influxString escapes backslash, quote and newline for InfluxQL', () => {
  assert.equal(influxString(`it's a\\b\nc`), `'it\\'s a\\\\b\\nc'`);
});

test('isPermanentHttpStatus: 4xx about the points are permanent; auth, missing database, timeouts, rate limits and 5xx are not', () => {
  for (const s of [400, 413, 422]) assert.equal(isPermanentHttpStatus(s), true, String(s));
  for (const s of [401, 403, 404, 408, 429, 500, 502, 503, 200]) assert.equal(isPermanentHttpStatus(s), false, String(s));
});
