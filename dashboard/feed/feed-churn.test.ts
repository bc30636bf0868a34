// The feed's memory follows the device list, not the history of every id it ever saw: a removed
// device's series and status go at once, and however many ids churn through, at most maxDevices
// devices' state is kept. Counted exactly, and measured on the heap (forced GC).
// Stated bounds: with maxDevices 1,000, churning 20,000 device ids ends with the heap within 4 MB of
// where 1,000 devices put it; removing every device brings it back within 2 MB of the empty feed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createMemoryFeed, type ForgetReason } from './window-feed.js';
import { sampleWindow } from '../dashboard.fixture.js';
import type { DeviceStatus } from '../../common/contracts/device-status.js';

const MIN = 60_000;
const MB = 1024 * 1024;
const MAX_DEVICES = 1_000;
const PER_SERIES = 10;
const SERIES = [1, 2, null] as const; // two interfaces and the device rollup

// global.gc when node runs with --expose-gc; otherwise the same function, exposed for this test.
setFlagsFromString('--expose-gc');
const gc = (globalThis.gc ?? (runInNewContext('gc') as () => void));
const heap = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

const status = (deviceId: string, at: number): DeviceStatus => ({ v: 1, kind: 'device-status', deviceId, state: 'up', lastError: null, lastPollAt: at, lastSuccessAt: at, lastPollDurationMs: 3, interfaces: 2 });

function feedDevice(feed: ReturnType<typeof createMemoryFeed>, deviceId: string): void {
  for (let k = 0; k < PER_SERIES; k++) for (const ifIndex of SERIES) feed.push(sampleWindow({ deviceId, ifIndex, ifName: ifIndex === null ? null : `ge-0/0/${ifIndex}`, windowStart: k * MIN, windowEnd: (k + 1) * MIN }));
  feed.pushStatus(status(deviceId, PER_SERIES * MIN));
}

test('a removed device leaves nothing behind, and subscribers hear of it', () => {
  const forgotten: Array<[string, ForgetReason]> = [];
  const feed = createMemoryFeed({ perSeries: PER_SERIES, onForget: (id, reason) => forgotten.push([id, reason]) });
  const heard: string[] = [];
  feed.subscribeForget((id) => heard.push(id));
  feedDevice(feed, 'keep');
  feedDevice(feed, 'gone, with a comma');
  assert.deepEqual(feed.stateSize(), { devices: 2, series: 6, windows: 60, statuses: 2 });
  assert.equal(feed.forgetDevice('gone, with a comma'), true);
  assert.deepEqual(feed.stateSize(), { devices: 1, series: 3, windows: 30, statuses: 1 });
  assert.ok(feed.recent().every((w) => w.deviceId === 'keep'));
  assert.equal(feed.statusOf('gone, with a comma'), undefined);
  assert.equal(feed.forgetDevice('never seen'), false, 'nothing to drop: no event');
  assert.deepEqual(heard, ['gone, with a comma']);
  assert.deepEqual(forgotten, [['gone, with a comma', 'removed']]);
});

test('a device pushed again right after itself stays the most recent; one forgotten and pushed again is kept anew', () => {
  const forgotten: string[] = [];
  const feed = createMemoryFeed({ perSeries: 2, maxDevices: 2, onForget: (id) => forgotten.push(id) });
  feed.push(sampleWindow({ deviceId: 'a', ifIndex: 1 }));
  feed.push(sampleWindow({ deviceId: 'a', ifIndex: 2 }));
  feed.forgetDevice('a');
  feed.push(sampleWindow({ deviceId: 'a', ifIndex: 1 }));
  assert.equal(feed.stateSize().devices, 1, 'the forgotten device counts again when it comes back');
  feed.push(sampleWindow({ deviceId: 'b', ifIndex: 1 }));
  feed.push(sampleWindow({ deviceId: 'b', ifIndex: 2 }));
  feed.push(sampleWindow({ deviceId: 'c', ifIndex: 1 }));
  assert.deepEqual(forgotten, ['a', 'a'], 'removed, then evicted as the least recently updated');
  assert.deepEqual(feed.stateSize().devices, 2);
});

test('the least recently updated device is the one evicted past maxDevices', () => {
  const forgotten: Array<[string, ForgetReason]> = [];
  const feed = createMemoryFeed({ perSeries: 2, maxDevices: 2, onForget: (id, reason) => forgotten.push([id, reason]) });
  feed.push(sampleWindow({ deviceId: 'a' }));
  feed.push(sampleWindow({ deviceId: 'b' }));
  feed.pushStatus(status('a', 1)); // a is now the most recent
  feed.push(sampleWindow({ deviceId: 'c' }));
  assert.deepEqual(forgotten, [['b', 'evicted']]);
  assert.deepEqual(feed.statuses().map((s) => s.deviceId), ['a']);
  assert.deepEqual([...new Set(feed.recent().map((w) => w.deviceId))].sort(), ['a', 'c']);
  assert.throws(() => createMemoryFeed({ maxDevices: 0 }), RangeError);
});

test(`churning 20,000 device ids: state stays within ${MAX_DEVICES} devices and the heap returns under the stated bounds`, (t) => {
  let evicted = 0;
  const feed = createMemoryFeed({ perSeries: PER_SERIES, maxDevices: MAX_DEVICES, onForget: (_id, reason) => reason === 'evicted' && evicted++ });
  const empty = heap();
  for (let i = 0; i < MAX_DEVICES; i++) feedDevice(feed, `churn-${i}`);
  const full = heap();
  const fullState = { devices: MAX_DEVICES, series: MAX_DEVICES * SERIES.length, windows: MAX_DEVICES * SERIES.length * PER_SERIES, statuses: MAX_DEVICES };
  assert.deepEqual(feed.stateSize(), fullState);
  for (let i = MAX_DEVICES; i < 20_000; i++) {
    feedDevice(feed, `churn-${i}`);
    // Every tenth device is removed from the configuration right after its last poll.
    if (i % 10 === 0) feed.forgetDevice(`churn-${i}`);
  }
  const churned = heap();
  const s = feed.stateSize();
  assert.ok(s.devices <= MAX_DEVICES && s.series <= fullState.series && s.windows <= fullState.windows && s.statuses <= MAX_DEVICES, JSON.stringify(s));
  assert.equal(s.devices, MAX_DEVICES, 'the newest devices are the ones kept');
  assert.equal(evicted, 20_000 - MAX_DEVICES - 1_900, 'every device neither removed (1,900) nor kept was evicted');
  assert.equal(feed.recent().length, s.windows);
  const note = `heap: empty ${(empty / MB).toFixed(1)} MB, ${MAX_DEVICES} devices ${(full / MB).toFixed(1)} MB, after 20,000 ids ${(churned / MB).toFixed(1)} MB`;
  assert.ok(churned - full < 4 * MB, note);
  for (const id of new Set(feed.recent().map((w) => w.deviceId))) feed.forgetDevice(id);
  assert.deepEqual(feed.stateSize(), { devices: 0, series: 0, windows: 0, statuses: 0 });
  const cleared = heap();
  assert.ok(cleared - empty < 2 * MB, `${note}, all removed ${(cleared / MB).toFixed(1)} MB`);
  t.diagnostic(`${note}, all removed ${(cleared / MB).toFixed(1)} MB`);
});
