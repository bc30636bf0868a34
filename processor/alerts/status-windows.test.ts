import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import type { DeviceState, DeviceStatus } from '../../common/contracts/device-status.js';
import { createAlertEvaluator } from './evaluator.js';
import { createStatusWindows } from './status-windows.js';

const W = 60_000;
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % W);
const status = (at: number, state: DeviceState, deviceId = 'd1'): DeviceStatus => ({
  v: 1, kind: 'device-status', deviceId, state, lastError: null, lastPollAt: at, lastSuccessAt: null, lastPollDurationMs: 10, interfaces: 1,
});

test('status windows: a window closes when a later poll arrives, with the unreachable fraction; late polls are ignored', () => {
  const t = createStatusWindows({ windowMs: W });
  assert.deepEqual(t.observe(status(T0 + 1000, 'up'), 10n), []);
  assert.deepEqual(t.observe(status(T0 + 31_000, 'unreachable'), 11n), []);
  assert.equal(t.minOpenOffset(), 10n);
  const out = t.observe(status(T0 + W + 1000, 'unreachable'), 12n);
  assert.equal(out.length, 1);
  assert.equal(out[0].unreachable, 0.5);
  assert.deepEqual([out[0].window.windowStart, out[0].window.ifIndex, out[0].window.coverage, out[0].window.sampleCount], [T0, null, 1, 2]);
  assert.equal(t.minOpenOffset(), 12n);
  assert.deepEqual(t.observe(status(T0 + 50_000, 'up'), 13n), [], 'a poll of a closed window is late');
  assert.deepEqual(t.observe(status(T0 + W + 1000, 'unreachable'), 14n), [], 'the same poll again counts once');
  const next = t.observe(status(T0 + 3 * W, 'up'), 15n);
  assert.equal(next[0].unreachable, 1);
  assert.deepEqual(t.observe({ ...status(T0, 'pending'), lastPollAt: null }, 16n), []);
});

test('evaluator: device_unreachable fires on a device window and resolves', () => {
  const rule = alertRuleSchema.parse({ id: 'gone', metric: 'device_unreachable', threshold: 0.5, comparator: '>=', scope: { target: 'device' } });
  const ev = createAlertEvaluator({ rules: [rule], windowMs: W, tagsOf: () => [] });
  const t = createStatusWindows({ windowMs: W });
  const states: DeviceState[][] = [['up', 'up'], ['unreachable', 'unreachable'], ['unreachable', 'up'], ['up', 'up'], ['up']];
  const out: string[] = [];
  let offset = 0n;
  states.forEach((list, k) => list.forEach((s, i) => {
    for (const w of t.observe(status(T0 + k * W + i * 30_000, s), offset++)) {
      const e = ev.evaluate([w.window], { operDown: () => null, unreachable: () => w.unreachable }).events;
      out.push(...e.map((x) => `${(x.windowStart - T0) / W}:${x.transition}`));
    }
  }));
  assert.deepEqual(out, ['1:firing', '3:resolved']);
});

test('alert rules: device_unreachable needs the device target, oper_down the interface target', () => {
  const issue = (raw: unknown) => {
    const r = alertRuleSchema.safeParse(raw);
    return r.success ? null : `${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`;
  };
  assert.equal(issue({ id: 'a', metric: 'device_unreachable', threshold: 0 }), 'scope.target: must be "device" for metric device_unreachable');
  assert.equal(issue({ id: 'a', metric: 'oper_down', threshold: 0, scope: { target: 'device' } }), 'scope.target: must be "interface" for metric oper_down');
  assert.equal(issue({ id: 'a', metric: 'device_unreachable', threshold: 0, scope: { target: 'device' } }), null);
});
