// The fence's pure decisions (lease, epoch, hold) over scripted group events, its clock, and the
// gate over a fake clock: what a stalled or rebalanced member may still write, and when.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../common/log.js';
import { Registry } from '../../common/metrics.js';
import { applyFenceEvent, createFence, createFenceClock, decide, fenceTimes, newFenceState, type FenceEvent, type FenceVerdict } from './fence.js';

const T = { leaseMs: 8_000, holdMs: 2_000 };

/** A member that joined at 0 with partitions 0 and 1 (SyncGroup sent at 0), then the given events. */
function member(events: FenceEvent[] = []) {
  const s = newFenceState();
  for (const e of [{ type: 'answered', api: 'SyncGroup', at: 0 } as const, { type: 'joined', at: 10, assigned: [0, 1] } as const, ...events]) applyFenceEvent(s, e, T);
  return s;
}

test('fenceTimes: the lease ends a margin (a fifth, 1-5 s) before the shorter timeout; the hold is the margin', () => {
  const cases: Array<{ name: string; session: number; rebalance: number; want: { leaseMs: number; holdMs: number } }> = [
    { name: 'default 30 s session', session: 30_000, rebalance: 60_000, want: { leaseMs: 25_000, holdMs: 5_000 } },
    { name: 'short 6 s session', session: 6_000, rebalance: 60_000, want: { leaseMs: 4_800, holdMs: 1_200 } },
    { name: 'rebalance timeout shorter', session: 300_000, rebalance: 20_000, want: { leaseMs: 16_000, holdMs: 4_000 } },
    { name: 'margin capped at 5 s', session: 300_000, rebalance: 300_000, want: { leaseMs: 295_000, holdMs: 5_000 } },
  ];
  for (const c of cases) assert.deepEqual(fenceTimes(c.session, c.rebalance), c.want, c.name);
  assert.throws(() => fenceTimes(2_000, 60_000), /twice the fence margin/);
});

test('decide: which output may be written when', () => {
  const cases: Array<{ name: string; events: FenceEvent[]; epoch?: number; now: number; running?: boolean; want: FenceVerdict }> = [
    { name: 'inside the hold after a join that brought partitions', events: [], now: 1_000, want: 'wait' },
    { name: 'after the hold, inside the lease', events: [], now: 2_010, want: 'write' },
    { name: 'lease from the SyncGroup send time ends at 8 s', events: [], now: 8_000, want: 'wait' },
    { name: 'a successful heartbeat extends it from its send time', events: [{ type: 'answered', api: 'Heartbeat', at: 5_000 }, { type: 'heartbeat' }], now: 12_999, want: 'write' },
    { name: 'a failed heartbeat (answered, no success) extends nothing', events: [{ type: 'answered', api: 'Heartbeat', at: 5_000 }], now: 8_000, want: 'wait' },
    { name: 'a heartbeat success without a send time extends nothing', events: [{ type: 'heartbeat' }], now: 8_000, want: 'wait' },
    { name: 'the lease counts from the send, not the answer: a stall between them does not renew it', events: [{ type: 'answered', api: 'Heartbeat', at: 1_000 }, { type: 'heartbeat' }], now: 60_000, want: 'wait' },
    { name: 'rebalancing: nothing until the new assignment', events: [{ type: 'rebalancing' }], now: 3_000, want: 'wait' },
    { name: 'output of the previous epoch is dropped after a join', events: [{ type: 'answered', api: 'SyncGroup', at: 3_000 }, { type: 'joined', at: 3_010, assigned: [0] }], epoch: 1, now: 4_000, want: 'drop' },
    { name: 'a join that keeps only owned partitions does not hold', events: [{ type: 'answered', api: 'SyncGroup', at: 3_000 }, { type: 'joined', at: 3_010, assigned: [0] }], epoch: 2, now: 3_100, want: 'write' },
    { name: 'a join that brings a new partition holds', events: [{ type: 'answered', api: 'SyncGroup', at: 3_000 }, { type: 'joined', at: 3_010, assigned: [0, 1, 2] }], epoch: 2, now: 4_000, want: 'wait' },
    { name: 'a join without a SyncGroup send time gives no lease', events: [{ type: 'joined', at: 3_010, assigned: [0] }], epoch: 2, now: 3_100, want: 'wait' },
    { name: 'a lapsed lease while stopping drops (the next owner replays it)', events: [], now: 9_000, running: false, want: 'drop' },
    { name: 'a valid lease while stopping writes', events: [], now: 3_000, running: false, want: 'write' },
    { name: 'closed: nothing', events: [{ type: 'closed' }], now: 3_000, want: 'drop' },
    { name: 'reopened after a close: nothing before the next join', events: [{ type: 'closed' }, { type: 'opened' }], now: 3_000, want: 'wait' },
  ];
  for (const c of cases) {
    const s = member(c.events);
    assert.equal(decide(s, T, c.epoch ?? 1, c.now, c.running ?? true), c.want, c.name);
  }
});

test('the fence clock never goes back and takes the larger step of the monotonic and wall clocks', () => {
  let mono = 100;
  let wall = 1_000_000;
  const clock = createFenceClock(() => mono, () => wall);
  assert.equal(clock(), 0);
  mono += 50;
  wall += 50;
  assert.equal(clock(), 50, 'both advance alike');
  mono += 10;
  wall -= 3_600_000;
  assert.equal(clock(), 60, 'a wall-clock step back: the monotonic step counts');
  mono += 0;
  wall += 30_000;
  assert.equal(clock(), 30_060, 'a suspended machine (monotonic stood still): the wall-clock step counts');
});

test('the gate waits out a lapse, writes once a heartbeat renews the lease, and refuses output of an ended epoch', async () => {
  let t = 0;
  const registry = new Registry();
  const fence = createFence(silentLogger, { times: T, registry, clock: () => t, sleep: (ms) => Promise.resolve(void (t += ms)), pollMs: 500 });
  // Events through the adapter's handlers, as kafkajs would emit them.
  const handlers = new Map<string, (e: { payload: Record<string, unknown> }) => void>();
  const consumer = {
    events: { REQUEST: 'req', HEARTBEAT: 'hb', REBALANCING: 'reb', GROUP_JOIN: 'join' },
    on: (name: string, fn: (e: { payload: Record<string, unknown> }) => void) => handlers.set(name, fn),
  };
  fence.watch(consumer as never, 'samples');
  const emit = (name: string, payload: Record<string, unknown> = {}) => handlers.get(name)!({ payload });
  emit('req', { apiName: 'SyncGroup', duration: 0 });
  emit('join', { memberAssignment: { samples: [0, 1] } });
  const epoch = fence.epoch();
  const gate = fence.gate(epoch, () => true);
  const written: number[] = [];
  assert.equal(await gate.write(() => Promise.resolve(void written.push(t))), true);
  assert.deepEqual(written, [2_000], 'the first write waits out the hold');
  t = 9_000; // lease (8 s from the SyncGroup send) lapsed: a stall
  let renewed = false;
  const pending = gate.write(() => Promise.resolve(void written.push(t)));
  // The heartbeat that renews: answered (sent 1 ms ago), then reported successful.
  const renew = async () => {
    while (t < 11_000) await Promise.resolve();
    emit('req', { apiName: 'Heartbeat', duration: 1 });
    emit('hb');
    renewed = true;
  };
  await Promise.all([pending, renew()]);
  assert.ok(renewed);
  assert.equal(written.length, 2);
  assert.ok((written[1] ?? 0) >= 11_000, `written only after the renewal (at ${written[1]})`);
  // A rebalance: output of this epoch waits, then is refused once the new assignment comes.
  emit('reb');
  const refused = gate.write(() => Promise.resolve(void written.push(-1)));
  emit('req', { apiName: 'SyncGroup', duration: 0 });
  emit('join', { memberAssignment: { samples: [1] } });
  assert.equal(await refused, false);
  assert.equal(written.length, 2, 'nothing written for the ended epoch');
  const text = await registry.metrics();
  assert.match(text, /netmon_processor_fence_refused_writes_total 1/);
  assert.match(text, /netmon_processor_fence_lapses_total 1/);
  assert.match(text, /netmon_processor_fence_late_writes_total 0/);
});

test('a write that completes after the lease ended is counted as late', async () => {
  let t = 0;
  const registry = new Registry();
  const fence = createFence(silentLogger, { times: { leaseMs: 8_000, holdMs: 0 }, registry, clock: () => t, sleep: () => Promise.resolve() });
  const handlers = new Map<string, (e: { payload: Record<string, unknown> }) => void>();
  fence.watch({ events: { REQUEST: 'req', HEARTBEAT: 'hb', REBALANCING: 'reb', GROUP_JOIN: 'join' }, on: (n: string, f: (e: { payload: Record<string, unknown> }) => void) => handlers.set(n, f) } as never, 'samples');
  handlers.get('req')!({ payload: { apiName: 'SyncGroup', duration: 0 } });
  handlers.get('join')!({ payload: { memberAssignment: { samples: [0] } } });
  // Admitted at 7 s, stalled inside the write until 20 s.
  t = 7_000;
  assert.equal(await fence.gate(fence.epoch(), () => true).write(() => Promise.resolve(void (t = 20_000))), true);
  assert.match(await registry.metrics(), /netmon_processor_fence_late_writes_total 1/);
});
