// Tests of the recent windows the feed keeps (revisions, per-series bound; series-store.ts) and the in-memory feed (fan-out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryFeed } from './window-feed.js';
import { createSeriesStore } from './series-store.js';
import { sampleWindow } from '../dashboard.fixture.js';
import type { WindowResult } from '../../common/contracts/window-result.js';
import type { AlertEvent } from '../../common/contracts/alert-event.js';
import type { DeviceStatus } from '../../common/contracts/device-status.js';

const MIN = 60_000;
const at = (k: number, over: Partial<WindowResult> = {}) => sampleWindow({ windowStart: k * MIN, windowEnd: (k + 1) * MIN, ...over });
const view = (ws: WindowResult[]) => ws.map((w) => `${w.deviceId}/${w.ifIndex ?? '-'}@${w.windowStart / MIN}r${w.revision}`);

void test('recent buffer: revisions and ordering', async (t) => {
  const cases: Array<{ name: string; adds: WindowResult[]; accepted: boolean[]; want: string[] }> = [
    { name: 'in order', adds: [at(1), at(2), at(3)], accepted: [true, true, true], want: ['r1/1@1r0', 'r1/1@2r0', 'r1/1@3r0'] },
    { name: 'higher revision replaces in place', adds: [at(1), at(2), at(1, { revision: 1, inBps: 7 })], accepted: [true, true, true], want: ['r1/1@1r1', 'r1/1@2r0'] },
    { name: 'equal revision is a replay and is ignored', adds: [at(1, { revision: 2 }), at(1, { revision: 2, inBps: 9 })], accepted: [true, false], want: ['r1/1@1r2'] },
    { name: 'lower revision is ignored', adds: [at(1, { revision: 3 }), at(1, { revision: 1 })], accepted: [true, false], want: ['r1/1@1r3'] },
    { name: 'late window is inserted in order', adds: [at(1), at(3), at(2)], accepted: [true, true, true], want: ['r1/1@1r0', 'r1/1@2r0', 'r1/1@3r0'] },
    {
      name: 'series are independent (interface, other interface, device rollup)',
      adds: [at(1), at(1, { ifIndex: 2 }), at(1, { ifIndex: null }), at(1, { deviceId: 'r2' })],
      accepted: [true, true, true, true],
      want: ['r1/1@1r0', 'r1/2@1r0', 'r1/-@1r0', 'r2/1@1r0'],
    },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const b = createSeriesStore(10);
      assert.deepEqual(c.adds.map((w) => b.add(w)), c.accepted);
      assert.deepEqual(view(b.all()), c.want);
    });
  }
});

void test('recent buffer: keeps the newest N per series', () => {
  const b = createSeriesStore(3);
  for (let k = 1; k <= 5; k++) b.add(at(k));
  b.add(at(1, { ifIndex: 2 }));
  assert.deepEqual(view(b.all()), ['r1/1@3r0', 'r1/1@4r0', 'r1/1@5r0', 'r1/2@1r0']);
  assert.equal(b.add(at(2)), false, 'older than everything kept in a full series');
  assert.equal(b.add(at(4, { revision: 1 })), true, 'a revision of a kept window still replaces');
  assert.deepEqual(view(b.all()), ['r1/1@3r0', 'r1/1@4r1', 'r1/1@5r0', 'r1/2@1r0']);
});

void test('recent buffer: rejects a non-positive bound', () => {
  assert.throws(() => createSeriesStore(0), RangeError);
});

void test('memory feed: subscribers hear accepted windows only, and can unsubscribe', () => {
  const feed = createMemoryFeed({ perSeries: 5 });
  const heard: string[] = [];
  const off = feed.subscribe((w) => heard.push(...view([w])));
  assert.equal(feed.push(at(1)), true);
  assert.equal(feed.push(at(1)), false);
  feed.push(at(1, { revision: 1 }));
  off();
  feed.push(at(2));
  assert.deepEqual(heard, ['r1/1@1r0', 'r1/1@1r1']);
  assert.deepEqual(view(feed.recent()), ['r1/1@1r1', 'r1/1@2r0']);
});

void test('memory feed: a failing subscriber does not starve the others', () => {
  const feed = createMemoryFeed();
  let heard = 0;
  feed.subscribe(() => {
    throw new Error('boom');
  });
  feed.subscribe(() => heard++);
  assert.throws(() => feed.push(at(1)), /boom/);
  assert.equal(heard, 1);
  assert.equal(feed.recent().length, 1);
});

void test('memory feed: latest status per device, alerts relayed and bounded', () => {
  const feed = createMemoryFeed({ alertsKept: 2 });
  const events: string[] = [];
  feed.subscribeEvents((e) => events.push(e.type === 'status' ? `status:${e.status.deviceId}:${e.status.state}` : `alert:${e.alert.ruleId}`));
  const status = (deviceId: string, state: DeviceStatus['state'], lastPollAt: number): DeviceStatus => ({ v: 1, kind: 'device-status', deviceId, state, lastError: null, lastPollAt, lastSuccessAt: null, lastPollDurationMs: null, interfaces: 0 });
  assert.equal(feed.pushStatus(status('r2', 'up', 10)), true);
  assert.equal(feed.pushStatus(status('r1', 'unreachable', 10)), true);
  assert.equal(feed.pushStatus(status('r1', 'up', 5)), false, 'an older poll does not replace a newer one');
  assert.equal(feed.pushStatus(status('r1', 'auth-failure', 20)), true);
  assert.deepEqual(feed.statuses().map((s) => `${s.deviceId}:${s.state}`), ['r1:auth-failure', 'r2:up']);
  const alert = (ruleId: string): AlertEvent => ({ v: 1, kind: 'alert-event', ruleId, deviceId: 'r1', ifIndex: null, state: 'firing', severity: 'info', metric: 'inBps', value: 1, threshold: 0, windowStart: 0, ts: 1, message: '' });
  for (const id of ['a', 'b', 'c']) feed.pushAlert(alert(id));
  assert.deepEqual(feed.alerts().map((a) => a.ruleId), ['b', 'c']);
  assert.deepEqual(events, ['status:r2:up', 'status:r1:unreachable', 'status:r1:auth-failure', 'alert:a', 'alert:b', 'alert:c']);
});
