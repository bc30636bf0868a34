// The demo's scripted events: what happens to which lab device and when, planned as pure data from the
// devices and a start time (planScenario), and a small Component that applies the plan to running labs
// on time (createScenarioRunner). The events show the product at work: a link driven near its line
// rate long enough for a saturation rule to fire and then resolve; a device that reboots (its counters
// restart from 0 and the windows show no spike); a port whose oper status goes down and up in
// alternate windows until the flap rule holds its alert. Oper changes land on window boundaries (so a
// window is either down or up, which is what makes the rule's condition flip); the rest need not.
// The plan repeats every cycle for as long as the demo runs.
import type { Clock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import type { Component } from '../../common/lifecycle.js';
import type { Logger } from '../../common/log.js';
import type { Lab } from './lab.js';
import type { TrafficClass } from './traffic.js';

export type ScenarioAction =
  | { atMs: number; kind: 'saturate'; deviceId: string; ifIndex: number; ifName: string; seconds: number; fraction: number }
  | { atMs: number; kind: 'reboot'; deviceId: string }
  | { atMs: number; kind: 'oper'; deviceId: string; ifIndex: number; ifName: string; up: boolean };

/** What the planner needs to know of a device (a LabDevice fits). */
export interface ScenarioDevice {
  readonly id: string;
  readonly interfaces: ReadonlyArray<{ readonly ifIndex: number; readonly name: string; readonly operUp: boolean; readonly traffic: { readonly klass: TrafficClass } }>;
}

export interface ScenarioOptions {
  /** The processor's window length (events are placed in whole windows). */
  windowMs: number;
  /** Windows the saturation lasts (default 5: the rule's 2 windows to fire, then some). */
  saturateWindows?: number;
  /** Share of the link speed while saturated (default 0.95). */
  saturateFraction?: number;
  /** Oper-down windows of the flapping port (each followed by an up window; default 4). */
  flaps?: number;
  /** The plan repeats this many windows after it starts (default 20). */
  cycleWindows?: number;
}

export interface ScenarioPlan {
  actions: ScenarioAction[];
  /** When the next cycle starts (epoch ms). */
  nextCycleMs: number;
}

/** A port that carries traffic (so a saturation or an outage shows): the first one, or the last (an uplink on a lab switch). */
function busyPort(d: ScenarioDevice, which: 'first' | 'last'): ScenarioDevice['interfaces'][number] {
  const ok = d.interfaces.filter((i) => i.operUp && (i.traffic.klass === 'normal' || i.traffic.klass === 'busy'));
  if (ok.length === 0) throw new RangeError(`lab device ${d.id} has no interface that carries traffic`);
  return which === 'first' ? ok[0] : ok[ok.length - 1];
}

/**
 * One cycle of events from `startMs` (epoch ms). Needs at least 3 devices: the saturation goes to the
 * device a third of the way down the list, the reboot to the one two thirds down, and the last device's
 * last port that carries traffic flaps (on a lab switch, an uplink). Everything starts at the first window boundary a full window after `startMs`, so
 * the first windows show the lab as it normally is.
 */
export function planScenario(devices: readonly ScenarioDevice[], startMs: number, o: ScenarioOptions): ScenarioPlan {
  if (devices.length < 3) throw new RangeError(`the scenario needs at least 3 lab devices, got ${devices.length}`);
  const w = o.windowMs;
  const satWindows = o.saturateWindows ?? 5;
  const flaps = o.flaps ?? 4;
  const cycle = o.cycleWindows ?? 20;
  if (cycle < Math.max(satWindows, 2 * flaps) + 2) throw new RangeError(`a cycle of ${cycle} windows is too short for its events`);
  const first = Math.ceil((startMs + w) / w) * w;
  const sat = devices[Math.floor(devices.length / 3)];
  const satPort = busyPort(sat, 'first');
  const boot = devices[Math.floor((2 * devices.length) / 3)];
  const flap = devices[devices.length - 1];
  const flapPort = busyPort(flap, 'last');
  const actions: ScenarioAction[] = [
    { atMs: first, kind: 'saturate', deviceId: sat.id, ifIndex: satPort.ifIndex, ifName: satPort.name, seconds: (satWindows * w) / 1000, fraction: o.saturateFraction ?? 0.95 },
    // Mid-window: a reboot needs no alignment, and the windows either side of it must still be exact.
    { atMs: first + 2 * w + w / 2, kind: 'reboot', deviceId: boot.id },
  ];
  for (let k = 0; k < 2 * flaps; k++) {
    actions.push({ atMs: first + (k + 1) * w, kind: 'oper', deviceId: flap.id, ifIndex: flapPort.ifIndex, ifName: flapPort.name, up: k % 2 === 1 });
  }
  actions.sort((a, b) => a.atMs - b.atMs);
  return { actions, nextCycleMs: first - w + cycle * w };
}

/** One line for people: what an action does and what to look for. */
export function describeAction(a: ScenarioAction): string {
  switch (a.kind) {
    case 'saturate':
      return `${a.deviceId} ${a.ifName} runs at ${Math.round(a.fraction * 100)} % of its speed for ${Math.round(a.seconds / 60)} min: the link-saturated alert fires, then resolves`;
    case 'reboot':
      return `${a.deviceId} reboots: its counters restart from 0 and its windows carry on without a spike`;
    case 'oper':
      return `${a.deviceId} ${a.ifName} goes oper-${a.up ? 'up' : 'down'}${a.up ? '' : ' (it flaps window by window: the uplink-down alert fires and is held while it flaps)'}`;
  }
}

export interface ScenarioRunnerOptions {
  /** Every lab of the demo; device ids are unique across them. */
  labs: readonly Lab[];
  plan: (startMs: number) => ScenarioPlan;
  clock: Clock;
  /** Called with each action as it is applied (the demo prints it). */
  onAction?: (a: ScenarioAction) => void;
}

/** Applies the plan to the labs on time, cycle after cycle; a failed action is logged and skipped. */
export function createScenarioRunner(log: Logger, o: ScenarioRunnerOptions): Component & { pending(): readonly ScenarioAction[] } {
  let timer: NodeJS.Timeout | null = null;
  let queue: ScenarioAction[] = [];
  let nextCycleMs = 0;
  const find = (id: string): [Lab, number] => {
    for (const lab of o.labs) {
      const i = lab.devices.findIndex((d) => d.id === id);
      if (i >= 0) return [lab, i];
    }
    throw new RangeError(`no lab device ${id}`);
  };
  const apply = (a: ScenarioAction) => {
    const [lab, i] = find(a.deviceId);
    if (a.kind === 'saturate') lab.saturate(i, a.ifIndex, { seconds: a.seconds, fraction: a.fraction, direction: 'in' });
    else if (a.kind === 'reboot') lab.reboot(i);
    else lab.setOperUp(i, a.ifIndex, a.up);
  };
  const tick = () => {
    timer = null;
    const now = o.clock.now();
    while (queue.length > 0 && queue[0].atMs <= now) {
      const a = queue.shift()!;
      try {
        apply(a);
        log.info({ event: a.kind, device: a.deviceId }, describeAction(a));
        o.onAction?.(a);
      } catch (err) {
        log.warn({ event: a.kind, device: a.deviceId, err: errorMessage(err) }, 'demo event failed');
      }
    }
    if (queue.length === 0) {
      const p = o.plan(nextCycleMs);
      queue = p.actions;
      nextCycleMs = p.nextCycleMs;
    }
    const next = queue.length > 0 ? queue[0].atMs : nextCycleMs;
    timer = setTimeout(tick, Math.max(0, Math.min(next - o.clock.now(), 2 ** 31 - 1)));
  };
  return {
    name: 'demo-scenario',
    start() {
      const p = o.plan(o.clock.now());
      queue = p.actions;
      nextCycleMs = p.nextCycleMs;
      tick();
      return Promise.resolve();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      return Promise.resolve();
    },
    pending: () => queue,
  };
}
