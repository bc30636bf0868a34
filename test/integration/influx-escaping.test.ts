// Device ids with every awkward character through the real InfluxDB: written, read back exactly,
// found by history queries; and a batch holding points InfluxDB refuses for good (a field type
// conflict, a time outside its range) is bisected so every good window is still written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInfluxClient, createInfluxStore } from '../../common/store/influx.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { testConfig, uniqueId } from './stack.js';

const minute = 60_000;
const recent = Math.floor(Date.now() / minute) * minute - 10 * minute;

function win(deviceId: string, ifIndex: number | null, windowStart: number, inOctets = 600n): WindowResultInput {
  return {
    deviceId, ifIndex, ifName: ifIndex === null ? null : `eth "${ifIndex}" \\`, windowStart, windowEnd: windowStart + minute,
    inOctets, outOctets: 7n, inPackets: 3n, outPackets: 1n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n,
    inBps: Number(inOctets) * 8 / 60, outBps: 1, inPps: 0.05, outPps: 0.01, inAvgPacketSize: 200, outAvgPacketSize: 7, speed: 1e9, inUtilization: 0.1, outUtilization: 0.2,
    peakInBps: 100, peakOutBps: 1, coverage: 1, sampleCount: 6, revision: 0,
  };
}

const awkward = ['core sw,1=a"b\\', 'core sw,1=a\\"b\\\\', 'x\\ ,=y ', '東京 コア ✓', "it's"];

test('device ids with spaces, commas, equals, quotes and trailing backslashes round-trip through InfluxDB, history included', async () => {
  const config = testConfig(uniqueId('esc'));
  const store = createInfluxStore(config.influx);
  await store.ensureDatabase();
  const written = awkward.flatMap((id, i) => [win(id, 1, recent, BigInt(100 + i)), win(id, null, recent, BigInt(100 + i)), win(id, 1, recent + minute, BigInt(200 + i))]);
  const rejected = await store.writeWindows(written);
  assert.deepEqual(rejected, []);
  for (const [i, id] of awkward.entries()) {
    const back = await store.queryWindows({ deviceId: id, fromMs: recent, toMs: recent + 2 * minute });
    assert.deepEqual(back.map((w) => [w.deviceId, w.ifIndex, w.windowStart, w.inOctets, w.ifName]), [
      [id, 1, recent, BigInt(100 + i), 'eth "1" \\'],
      [id, null, recent, BigInt(100 + i), null],
      [id, 1, recent + minute, BigInt(200 + i), 'eth "1" \\'],
    ], id);
    const raw = await store.queryHistory!({ deviceId: id, ifIndex: 1, fromMs: recent, toMs: recent + 2 * minute, resolution: 'raw' });
    assert.deepEqual(raw.map((r) => r.t), [recent, recent + minute], id);
    const rolled = await store.queryHistory!({ deviceId: id, ifIndex: null, fromMs: recent - 3_600_000, toMs: recent + 2 * minute, resolution: 'rollup' });
    assert.equal(rolled.length, 1, id);
  }
});

test('a batch with points InfluxDB refuses for good: the bad ones come back with the reason, every good one is written', async () => {
  const config = testConfig(uniqueId('bisect'));
  const store = createInfluxStore(config.influx);
  await store.ensureDatabase();
  // A string in_octets in a shard makes every float in_octets there a field type conflict: ten days
  // back, a shard (one day) of its own, inside the raw retention (30 days).
  const conflictAt = recent - 10 * 86_400_000;
  await createInfluxClient(config.influx).writePoints([{ measurement: 'device_window', tags: { device: 'poison' }, fields: { in_octets: 'text' }, timestamp: new Date(conflictAt) }], { precision: 'ms' });
  const good = Array.from({ length: 40 }, (_, i) => win(`good${i}`, null, recent + (i % 3) * minute, BigInt(i + 1)));
  const conflict = win('conflict', null, conflictAt);
  const tooFar = win('future', 1, Date.UTC(2300, 0, 1));
  const batch = [...good.slice(0, 13), conflict, ...good.slice(13, 31), tooFar, ...good.slice(31)];
  const rejected = (await store.writeWindows(batch)) ?? [];
  assert.deepEqual(rejected.map((r) => r.window.deviceId), ['conflict', 'future']);
  assert.match(rejected[0].reason, /HTTP 400: .*field type conflict/);
  assert.match(rejected[1].reason, /HTTP 400: /);
  for (const w of good) {
    const [back] = await store.queryWindows({ deviceId: w.deviceId, ifIndex: null, fromMs: w.windowStart, toMs: w.windowEnd });
    assert.equal(back?.inOctets, w.inOctets, w.deviceId);
  }
});
