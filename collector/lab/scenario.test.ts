import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../common/log.js';
import type { Lab } from './lab.js';
import { createScenarioRunner, describeAction, planScenario, type ScenarioDevice } from './scenario.js';
import type { TrafficClass } from './traffic.js';

const W = 60_000;

function device(id: string, classes: TrafficClass[]): ScenarioDevice {
  return { id, interfaces: classes.map((klass, n) => ({ ifIndex: n + 1, name: `ge-0/0/${n}`, operUp: klass !== 'down', traffic: { klass } })) };
}

const devices = Array.from({ length: 6 }, (_, i) => device(`lab-000${i}`, ['down', 'idle', 'normal', 'busy', 'normal']));

test('the plan: saturation, reboot and flaps on the chosen devices, flaps on window boundaries, after one full window', () => {
  const start = 10 * W + 12_345;
  const { actions, nextCycleMs } = planScenario(devices, start, { windowMs: W });
  const first = 12 * W;
  const sat = actions.filter((a) => a.kind === 'saturate');
  assert.deepEqual(sat, [{ atMs: first, kind: 'saturate', deviceId: 'lab-0002', ifIndex: 3, ifName: 'ge-0/0/2', seconds: 300, fraction: 0.95 }]);
  assert.deepEqual(actions.filter((a) => a.kind === 'reboot'), [{ atMs: first + 2.5 * W, kind: 'reboot', deviceId: 'lab-0004' }]);
  const oper = actions.filter((a) => a.kind === 'oper');
  // Down, up, down, up ... one window each, on the last busy port of the last device.
  assert.deepEqual(oper.map((a) => [(a.atMs - first) / W, a.kind === 'oper' && a.up, a.deviceId, a.kind === 'oper' && a.ifIndex]), [
    [1, false, 'lab-0005', 5], [2, true, 'lab-0005', 5], [3, false, 'lab-0005', 5], [4, true, 'lab-0005', 5],
    [5, false, 'lab-0005', 5], [6, true, 'lab-0005', 5], [7, false, 'lab-0005', 5], [8, true, 'lab-0005', 5],
  ]);
  for (const a of oper) assert.equal(a.atMs % W, 0, 'on a window boundary');
  assert.ok(actions.every((a, i) => i === 0 || actions[i - 1].atMs <= a.atMs), 'in time order');
  assert.equal(nextCycleMs, 11 * W + 20 * W);
  // The next cycle, planned from its start, follows on with the same shape.
  const again = planScenario(devices, nextCycleMs, { windowMs: W });
  assert.equal(again.actions[0].atMs, nextCycleMs + W);
  assert.equal(again.nextCycleMs, nextCycleMs + 20 * W);
});

test('the plan refuses what it cannot do', () => {
  assert.throws(() => planScenario(devices.slice(0, 2), 0, { windowMs: W }), /at least 3 lab devices/);
  assert.throws(() => planScenario([...devices.slice(0, 5), device('quiet', ['down', 'idle'])], 0, { windowMs: W }), /quiet has no interface that carries traffic/);
  assert.throws(() => planScenario(devices, 0, { windowMs: W, cycleWindows: 5 }), /too short/);
});

test('every action reads as a sentence naming the device and what to look for', () => {
  const { actions } = planScenario(devices, 0, { windowMs: W });
  const lines = actions.map(describeAction);
  assert.match(lines[0], /^lab-0002 ge-0\/0\/2 runs at 95 % of its speed for 5 min: the link-saturated alert fires, then resolves$/);
  assert.ok(lines.some((l) => /^lab-0004 reboots: .*without a spike$/.test(l)));
  assert.ok(lines.some((l) => /^lab-0005 ge-0\/0\/4 goes oper-down \(it flaps/.test(l)));
});

test('the runner applies each action to the right lab when its time comes, and plans the next cycle', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let now = 5 * W + 1000;
    const calls: string[] = [];
    const fakeLab = (ids: string[]): Lab => ({
      devices: ids.map((id) => ({ id })),
      saturate: (i: number, ifIndex: number, o: { fraction: number; direction: string }) => calls.push(`saturate ${ids[i]} ${ifIndex} ${o.fraction} ${o.direction}`),
      reboot: (i: number) => calls.push(`reboot ${ids[i]}`),
      setOperUp: (i: number, ifIndex: number, up: boolean) => {
        calls.push(`oper ${ids[i]} ${ifIndex} ${up ? 'up' : 'down'}`);
        return true;
      },
    }) as unknown as Lab;
    const labs = [fakeLab(['lab-0000', 'lab-0001', 'lab-0002']), fakeLab(['lab-0003', 'lab-0004', 'lab-0005'])];
    const applied: string[] = [];
    const runner = createScenarioRunner(silentLogger, { labs, clock: { now: () => now }, plan: (s) => planScenario(devices, s, { windowMs: W, flaps: 1, cycleWindows: 10 }), onAction: (a) => applied.push(a.kind) });
    void runner.start();
    assert.deepEqual(calls, [], 'nothing before the first boundary');
    const advance = (ms: number) => {
      now += ms;
      mock.timers.tick(ms);
    };
    advance(2 * W - 1000); // 7 W: the saturation
    assert.deepEqual(calls, ['saturate lab-0002 3 0.95 in']);
    advance(W); // 8 W: the flap's down window
    assert.deepEqual(calls.slice(1), ['oper lab-0005 5 down']);
    advance(W + W / 2); // 9.5 W: back up at 9 W, the reboot at 9.5 W
    assert.deepEqual(calls.slice(2), ['oper lab-0005 5 up', 'reboot lab-0004']);
    assert.deepEqual(applied, ['saturate', 'oper', 'oper', 'reboot']);
    // The next cycle starts at 6 W + 10 W: its saturation one window later.
    assert.equal(runner.pending()[0].atMs, 17 * W);
    advance(17 * W - now);
    assert.equal(calls.at(-1), 'saturate lab-0002 3 0.95 in');
    void runner.stop();
    advance(10 * W);
    assert.equal(calls.length, 5, 'nothing after stop');
  } finally {
    mock.timers.reset();
  }
});
