// The lab's control commands, one per line (stdin of `netmon lab`): parsed here (pure) and applied to
// a running lab through its public API. A bad line is a UsageError with what was expected; it never
// stops the lab.
import { UsageError } from '../../common/errors.js';
import type { Lab, SaturateDirection } from './lab.js';
import { parseDeviceSet } from './options.js';
import { deviceTable } from './table.js';

export type ControlCommand =
  | { op: 'reboot' | 'dead' | 'alive'; devices: number[] }
  | { op: 'clear'; devices: number[]; ifIndex?: number }
  | { op: 'slow'; devices: number[]; ms: number }
  | { op: 'saturate'; devices: number[]; ifIndex: number; seconds: number; percent: number; direction: SaturateDirection }
  | { op: 'oper'; devices: number[]; ifIndex: number; up: boolean }
  | { op: 'status'; devices: number[] | null }
  | { op: 'help' | 'quit' | 'nothing' };

export const CONTROL_HELP = [
  'reboot SET | clear SET [IFINDEX] | slow SET MS | dead SET | alive SET | saturate SET IFINDEX SECONDS [PERCENT [in|out|both]] | oper SET IFINDEX up|down | status [SET] | help | quit',
  'SET: device indexes and ranges, e.g. 0-9 or 0,3,5-7 or all',
];

const integer = (text: string | undefined, what: string, min: number, max: number): number => {
  if (text === undefined || !/^\d{1,9}$/.test(text)) throw new UsageError(`${what}: expected a whole number ${min}..${max}, got ${JSON.stringify(text ?? '')}`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${what}: expected a whole number ${min}..${max}, got ${n}`);
  return n;
};

export function parseControl(line: string, deviceCount: number): ControlCommand {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const [op, setText, arg, arg2, arg3, arg4] = words;
  if (op === undefined) return { op: 'nothing' };
  const devices = () => {
    if (setText === undefined) throw new UsageError(`${op}: which devices? e.g. "${op} 0" or "${op} 0-9"`);
    return parseDeviceSet(setText, deviceCount, op);
  };
  const noMore = (n: number) => {
    if (words.length > n) throw new UsageError(`${op}: unexpected ${JSON.stringify(words.slice(n).join(' '))}`);
  };
  switch (op) {
    case 'reboot':
    case 'dead':
    case 'alive':
      noMore(2);
      return { op, devices: devices() };
    case 'clear': {
      noMore(3);
      const d = devices();
      return arg === undefined ? { op, devices: d } : { op, devices: d, ifIndex: integer(arg, 'clear IFINDEX', 1, 1 << 30) };
    }
    case 'slow':
      noMore(3);
      return { op, devices: devices(), ms: integer(arg, 'slow MS', 0, 600_000) };
    case 'saturate': {
      noMore(6);
      const direction = arg4 ?? 'in';
      if (direction !== 'in' && direction !== 'out' && direction !== 'both') throw new UsageError(`saturate: direction must be in, out or both, got ${JSON.stringify(direction)}`);
      return {
        op,
        devices: devices(),
        ifIndex: integer(arg, 'saturate IFINDEX', 1, 1 << 30),
        seconds: integer(arg2, 'saturate SECONDS', 1, 86_400),
        percent: arg3 === undefined ? 95 : integer(arg3, 'saturate PERCENT', 1, 100),
        direction,
      };
    }
    case 'oper': {
      noMore(4);
      const d = devices();
      const ifIndex = integer(arg, 'oper IFINDEX', 1, 1 << 30);
      if (arg2 !== 'up' && arg2 !== 'down') throw new UsageError(`oper: expected up or down, got ${JSON.stringify(arg2 ?? '')}`);
      return { op, devices: d, ifIndex, up: arg2 === 'up' };
    }
    case 'status':
      noMore(2);
      return { op, devices: setText === undefined ? null : devices() };
    case 'help':
    case 'quit':
      noMore(1);
      return { op };
    default:
      throw new UsageError(`unknown command ${JSON.stringify(op)}; commands: ${CONTROL_HELP[0]}`);
  }
}

const list = (devices: number[]) => (devices.length <= 8 ? devices.join(', ') : `${devices.length} devices`);

function checkIfIndex(lab: Lab, op: string, ifIndex: number): void {
  if (ifIndex > lab.options.ports) throw new UsageError(`${op}: no ifIndex ${ifIndex} (1..${lab.options.ports})`);
}

/** Applies a command; returns the lines to print. `quit` is the caller's (it owns the process). */
export function applyControl(lab: Lab, cmd: ControlCommand): string[] {
  switch (cmd.op) {
    case 'reboot':
      for (const i of cmd.devices) lab.reboot(i);
      return [`rebooted ${list(cmd.devices)}`];
    case 'clear':
      if (cmd.ifIndex !== undefined) checkIfIndex(lab, cmd.op, cmd.ifIndex);
      for (const i of cmd.devices) lab.clearCounters(i, cmd.ifIndex);
      return [`cleared counters of ${cmd.ifIndex === undefined ? 'every interface' : `ifIndex ${cmd.ifIndex}`} on ${list(cmd.devices)}`];
    case 'slow':
      for (const i of cmd.devices) lab.setSlow(i, cmd.ms);
      return [`${list(cmd.devices)}: ${cmd.ms === 0 ? 'answering at once' : `answering after ${cmd.ms} ms`}`];
    case 'saturate':
      checkIfIndex(lab, cmd.op, cmd.ifIndex);
      for (const i of cmd.devices) lab.saturate(i, cmd.ifIndex, { seconds: cmd.seconds, fraction: cmd.percent / 100, direction: cmd.direction });
      return [`${list(cmd.devices)}: ifIndex ${cmd.ifIndex} at ${cmd.percent} % of its speed (${cmd.direction}) for ${cmd.seconds} s`];
    case 'oper': {
      checkIfIndex(lab, cmd.op, cmd.ifIndex);
      const changed = cmd.devices.filter((i) => lab.setOperUp(i, cmd.ifIndex, cmd.up));
      const state = cmd.up ? 'up' : 'down';
      return [changed.length === cmd.devices.length ? `${list(cmd.devices)}: ifIndex ${cmd.ifIndex} oper ${state}` : `${list(cmd.devices)}: ifIndex ${cmd.ifIndex} oper ${state} (${cmd.devices.length - changed.length} already were)`];
    }
    case 'dead':
    case 'alive':
      for (const i of cmd.devices) lab.setDead(i, cmd.op === 'dead');
      return [`${list(cmd.devices)}: ${cmd.op}`];
    case 'status': {
      const s = lab.stats();
      const devices = cmd.devices === null ? lab.devices : cmd.devices.map((i) => lab.devices[i]);
      return [...deviceTable(devices), `requests ${s.requests}, varbinds ${s.varbinds}, dropped (dead) ${s.dropped}, delayed (slow) ${s.delayed}, refused ${s.rejected}, failures ${s.failures}`];
    }
    case 'help':
      return CONTROL_HELP;
    case 'quit':
    case 'nothing':
      return [];
  }
}
