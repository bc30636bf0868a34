import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import type { CounterSample, OperStatus } from '../../common/contracts/counter-sample.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { createAlertEvaluator } from './evaluator.js';
import { createOperStatusTracker } from './oper-status.js';

const W = 60_000;
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % W);

function sample(ts: number, status: OperStatus): CounterSample {
  return {
    v: 1, kind: 'counter-sample', deviceId: 'd1', source: 'snmp', ts, sysUpTime: 1000,
    interfaces: [{ ifIndex: 1, name: 'eth0', alias: '', speed: 1e9, operStatus: status, width: 64, inOctets: 0n, outOctets: 0n, inPackets: 0n, outPackets: 0n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n, discontinuityTime: 0 }],
  };
}

const win = (k: number): WindowResultInput => ({
  deviceId: 'd1', ifIndex: 1, ifName: 'eth0', windowStart: T0 + k * W, windowEnd: T0 + (k + 1) * W,
  inOctets: 0n, outOctets: 0n, inPackets: 0n, outPackets: 0n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n,
  inBps: 0, outBps: 0, inPps: 0, outPps: 0, inAvgPacketSize: null, outAvgPacketSize: null, speed: null, inUtilization: null, outUtilization: null,
  peakInBps: 0, peakOutBps: 0, coverage: 1, sampleCount: 6, revision: 0,
});

test('oper status: the fraction of the window\'s polls that saw the interface down, each poll once', () => {
  const t = createOperStatusTracker({ windowMs: W, keepMs: 10 * W });
  const statuses: OperStatus[] = ['up', 'down', 'lowerLayerDown', 'up', 'dormant', 'notPresent'];
  statuses.forEach((s, i) => t.observe(sample(T0 + i * 10_000, s)));
  assert.equal(t.downFraction('d1', 1, T0), 3 / 6);
  // The same records again (a replay): unchanged.
  statuses.forEach((s, i) => t.observe(sample(T0 + i * 10_000, s)));
  assert.equal(t.downFraction('d1', 1, T0), 3 / 6);
  assert.equal(t.downFraction('d1', 1, T0 + W), null);
  assert.equal(t.downFraction('d1', 2, T0), null);
});

test('oper status: windows older than keepMs past the newest event time are forgotten', () => {
  const t = createOperStatusTracker({ windowMs: W, keepMs: 2 * W });
  t.observe(sample(T0, 'down'));
  t.observe(sample(T0 + 3 * W, 'up'));
  assert.equal(t.downFraction('d1', 1, T0), 1);
  t.observe(sample(T0 + 4 * W, 'up'));
  assert.equal(t.downFraction('d1', 1, T0), null);
});

test('evaluator: oper_down fires on a down poll and resolves when the interface is up again; unknown is missing data', () => {
  const t = createOperStatusTracker({ windowMs: W, keepMs: 10 * W });
  const ev = createAlertEvaluator({ rules: [alertRuleSchema.parse({ id: 'down', metric: 'oper_down', threshold: 0 })], windowMs: W, tagsOf: () => [] });
  const extras = { operDown: (w: WindowResultInput) => t.downFraction(w.deviceId, w.ifIndex ?? 0, w.windowStart), unreachable: () => null };
  const per: OperStatus[][] = [['up', 'up'], ['up', 'down'], [], ['up', 'up']];
  const out: string[] = [];
  per.forEach((list, k) => {
    list.forEach((s, i) => t.observe(sample(T0 + k * W + i * 20_000, s)));
    for (const e of ev.evaluate([win(k)], extras).events) out.push(`${k}:${e.transition}`);
  });
  assert.deepEqual(out, ['1:firing', '3:resolved']);
});
