import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertRuleSchema, type AlertRule } from '../../common/config/alerts-schema.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { createAlertEvaluator, type AlertEvaluator, type ScopeState } from './evaluator.js';

const W = 60_000;
const T0 = 1_700_000_040_000 - (1_700_000_040_000 % W);

function rule(over: Record<string, unknown> = {}): AlertRule {
  return alertRuleSchema.parse({ id: 'r1', metric: 'in_bps', threshold: 100, clearThreshold: 80, ...over });
}

/** Window k of interface 1 of device d1, with the given inBps (null = coverage 0). */
function win(k: number, inBps: number | null, over: Partial<WindowResultInput> = {}): WindowResultInput {
  return {
    deviceId: 'd1', ifIndex: 1, ifName: 'eth0', windowStart: T0 + k * W, windowEnd: T0 + (k + 1) * W,
    inOctets: 0n, outOctets: 0n, inPackets: 0n, outPackets: 0n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n,
    inBps: inBps ?? 0, outBps: 0, inPps: 0, outPps: 0, inAvgPacketSize: null, outAvgPacketSize: null, speed: null,
    inUtilization: null, outUtilization: null, peakInBps: 0, peakOutBps: 0, coverage: inBps === null ? 0 : 1, sampleCount: 1, revision: 0,
    ...over,
  };
}

const evaluator = (rules: AlertRule[], tags: Record<string, string[]> = {}) =>
  createAlertEvaluator({ rules, windowMs: W, tagsOf: (d) => tags[d] ?? [] });

/** Feeds windows one at a time; returns "k:transition" per event. */
function run(ev: AlertEvaluator, windows: WindowResultInput[]): string[] {
  const out: string[] = [];
  for (const w of windows) for (const e of ev.evaluate([w]).events) out.push(`${(e.windowStart - T0) / W}:${e.transition}`);
  return out;
}

const series = (values: Array<number | null>) => values.map((v, k) => win(k, v));

const cases: Array<{ name: string; rule: Record<string, unknown>; values?: Array<number | null>; windows?: WindowResultInput[]; expect: string[] }> = [
  { name: 'fires on the first breaching window with forWindows 1', rule: {}, values: [50, 150, 150], expect: ['1:firing'] },
  { name: 'hysteresis: between clear and fire thresholds it stays firing', rule: {}, values: [150, 90, 95, 85, 70], expect: ['0:firing', '4:resolved'] },
  { name: 'hysteresis: a value in the band does not fire from ok', rule: {}, values: [90, 99, 100, 101], expect: ['3:firing'] },
  { name: 'for N: pending until N consecutive windows breach', rule: { forWindows: 3 }, values: [150, 150, 150, 150], expect: ['0:pending', '2:firing'] },
  { name: 'for N: a clear window cancels pending and restarts the count', rule: { forWindows: 3 }, values: [150, 150, 50, 150, 150, 150], expect: ['0:pending', '2:cancelled', '3:pending', '5:firing'] },
  { name: 'clearForWindows: resolves after N clear windows only', rule: { clearForWindows: 2 }, values: [150, 50, 150, 50, 50], expect: ['0:firing', '4:resolved'] },
  { name: 'missing data neither fires nor resolves', rule: {}, values: [150, null, null, 150, null, 50], expect: ['0:firing', '5:resolved'] },
  { name: 'missing data does not count towards for N nor break it', rule: { forWindows: 2 }, values: [150, null, 150], expect: ['0:pending', '2:firing'] },
  { name: 'low coverage (below minCoverage) is missing data', rule: { minCoverage: 0.9 }, windows: [win(0, 150), win(1, 50, { coverage: 0.5 }), win(2, 50, { coverage: 0.8 }), win(3, 50, { coverage: 0.9 })], expect: ['0:firing', '3:resolved'] },
  { name: 'repeat interval in event time', rule: { repeatIntervalSeconds: 120 }, values: [150, 150, 150, 150, 150, 50], expect: ['0:firing', '2:repeat', '4:repeat', '5:resolved'] },
  { name: 'comparator < with clear above', rule: { comparator: '<', threshold: 10, clearThreshold: 20 }, values: [50, 5, 15, 25], expect: ['1:firing', '3:resolved'] },
  {
    name: 'flapping: more than K flips in M windows holds firing, marked flapping, until it calms',
    rule: { flapping: { flips: 2, windows: 6 } },
    values: [150, 50, 150, 50, 150, 50, 50, 50, 50, 50, 50],
    expect: ['0:firing', '1:resolved', '2:firing', '3:flapping', '9:resolved'],
  },
];

for (const c of cases) {
  test(`evaluator: ${c.name}`, () => {
    const windows = c.windows ?? series(c.values ?? []);
    assert.deepEqual(run(evaluator([rule(c.rule)]), windows), c.expect);
  });
}

test('evaluator: a re-delivered window (same or lower revision) is ignored', () => {
  const ev = evaluator([rule()]);
  assert.deepEqual(run(ev, [win(0, 150), win(1, 50)]), ['0:firing', '1:resolved']);
  const again = ev.evaluate([win(0, 150), win(1, 50), win(1, 150, { revision: 0 })]);
  assert.deepEqual(again.events, []);
  assert.equal(again.ignored.redelivered, 3);
});

test('evaluator: a revised window re-evaluates', () => {
  const ev = evaluator([rule()]);
  assert.deepEqual(run(ev, [win(0, 50), win(1, 150), win(2, 150)]), ['1:firing']);
  // Window 1 revised below the threshold: the alert now fires at window 2, not 1.
  const r1 = ev.evaluate([win(1, 50, { revision: 1 })]);
  assert.deepEqual(r1.events.map((e) => `${(e.windowStart - T0) / W}:${e.transition}:${e.windowRevision}`), ['2:firing:0']);
  // Window 2 revised too: the alert no longer fires at all, and the consumers are told.
  const r2 = ev.evaluate([win(2, 60, { revision: 1 })]);
  assert.deepEqual(r2.events.map((e) => `${(e.windowStart - T0) / W}:${e.transition}`), ['2:resolved']);
  assert.equal(ev.states()[0].current.phase, 'ok');
});

test('evaluator: a late first revision of a window inside the history is inserted in order', () => {
  const ev = evaluator([rule({ forWindows: 2 })]);
  assert.deepEqual(run(ev, [win(0, 150), win(2, 150)]), ['0:pending', '2:firing']);
  // Window 1 arrives late and is clear: it breaks the run, so window 2 is only pending again.
  const r = ev.evaluate([win(1, 50)]);
  assert.deepEqual(r.events.map((e) => `${(e.windowStart - T0) / W}:${e.transition}`), ['1:cancelled', '2:pending']);
});

test('evaluator: a window older than the kept history is too late', () => {
  const ev = createAlertEvaluator({ rules: [rule()], windowMs: W, tagsOf: () => [], historySize: 3 });
  run(ev, series([50, 50, 50, 50, 50]));
  const r = ev.evaluate([win(0, 150, { revision: 1 })]);
  assert.deepEqual(r.events, []);
  assert.equal(r.ignored.tooLate, 1);
});

test('evaluator: event ids are deterministic (rule, scope, transition, window start)', () => {
  const a = evaluator([rule()]).evaluate(series([150, 50])).events.map((e) => e.id);
  const b = evaluator([rule()]).evaluate(series([150, 50])).events.map((e) => e.id);
  assert.deepEqual(a, b);
  assert.deepEqual(a, [`r1:d1:1:firing:${T0}`, `r1:d1:1:resolved:${T0 + W}`]);
});

test('evaluator: restore the persisted state, then continue = the same events as an uninterrupted run', () => {
  const r = rule({ forWindows: 2, repeatIntervalSeconds: 180, flapping: { flips: 3, windows: 8 } });
  const values = [50, 150, 150, 150, null, 150, 50, 150, 50, 150, 50, 150, 50, 50, 50, 50, 50, 50, 50, 150, 150, 150, 150, 50];
  const windows = series(values);
  // Some windows get a later revision, as the processor emits them.
  windows.splice(8, 0, win(6, 150, { revision: 1 }));
  windows.splice(15, 0, win(12, 150, { revision: 1 }));
  const whole = run(evaluator([r]), windows);
  assert.ok(whole.length >= 6, `the sequence exercises the evaluator (${whole.join(',')})`);
  for (let cut = 1; cut < windows.length; cut++) {
    const first = evaluator([r]);
    const before = run(first, windows.slice(0, cut));
    // Persisted as JSON (the state topic), restored into a fresh evaluator.
    const persisted = JSON.parse(JSON.stringify(first.states())) as ScopeState[];
    const second = evaluator([r]);
    second.restore(persisted);
    // A restart replays the last few windows from the committed offsets: they must change nothing.
    const replay = run(second, windows.slice(Math.max(0, cut - 3), cut));
    assert.deepEqual(replay, [], `replay after cut ${cut}`);
    const after = run(second, windows.slice(cut));
    assert.deepEqual([...before, ...after], whole, `cut at ${cut}`);
  }
});

test('evaluator: scopes by device id, tag, interface name pattern and target', () => {
  const rules = [
    rule({ id: 'by-id', scope: { devices: ['d1'] } }),
    rule({ id: 'by-tag', scope: { tags: ['core'] } }),
    rule({ id: 'by-if', scope: { interfaces: ['eth[0-9]+'] } }),
    rule({ id: 'dev', scope: { target: 'device' } }),
  ];
  const ev = evaluator(rules, { d2: ['core'] });
  const fired = (w: WindowResultInput) => ev.evaluate([w]).events.map((e) => e.ruleId).sort();
  assert.deepEqual(fired(win(0, 150)), ['by-id', 'by-if']);
  assert.deepEqual(fired(win(0, 150, { deviceId: 'd2', ifName: 'xeth1' })), ['by-tag']);
  assert.deepEqual(fired(win(0, 150, { deviceId: 'd3', ifIndex: null, ifName: null })), ['dev']);
});

test('evaluator: errors per second are totals over the covered time', () => {
  const ev = evaluator([rule({ metric: 'in_errors_ps', threshold: 1, clearThreshold: 0.5 })]);
  // 30 errors over half a minute of coverage = 1 error/s: not above 1.
  assert.deepEqual(ev.evaluate([win(0, 0, { inErrors: 30n, coverage: 0.5 })]).events, []);
  const e = ev.evaluate([win(1, 0, { inErrors: 31n, coverage: 0.5 })]).events;
  assert.equal(e.length, 1);
  assert.ok(Math.abs((e[0].value ?? 0) - 31 / 30) < 1e-9);
});
