// The lab's control commands, one per line (stdin of `netmon lab`): parsed here (pure) and applied to
// a running lab through its public API. A bad line is a UsageError with what was expected; it never
// stops the lab.
import { UsageError } from '../../common/errors.js';
import type { Lab } from './lab.js';
import { parseDeviceSet } from './options.js';
import { deviceTable } from './table.js';

export type ControlCommand =
  | { op: 'reboot' | 'dead' | 'alive'; devices: number[] }
  | { op: 'clear'; devices: number[]; ifIndex?: number }
  | { op: 'slow'; devices: number[]; ms: number }
  | { op: 'status'; devices: number[] | null }
  | { op: 'help' | 'quit' | 'nothing' };

export const CONTROL_HELP = [
  'reboot SET | clear SET [IFINDEX] | slow SET MS | dead SET | alive SET | status [SET] | help | quit',
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
  const [op, setText, arg] = words;
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

/** Applies a command; returns the lines to print. `quit` is the caller's (it owns the process). */
export function applyControl(lab: Lab, cmd: ControlCommand): string[] {
  switch (cmd.op) {
    case 'reboot':
      for (const i of cmd.devices) lab.reboot(i);
      return [`rebooted ${list(cmd.devices)}`];
    case 'clear':
      if (cmd.ifIndex !== undefined && cmd.ifIndex > lab.options.ports) throw new UsageError(`clear: no ifIndex ${cmd.ifIndex} (1..${lab.options.ports})`);
      for (const i of cmd.devices) lab.clearCounters(i, cmd.ifIndex);
      return [`cleared counters of ${cmd.ifIndex === undefined ? 'every interface' : `ifIndex ${cmd.ifIndex}`} on ${list(cmd.devices)}`];
    case 'slow':
      for (const i of cmd.devices) lab.setSlow(i, cmd.ms);
      return [`${list(cmd.devices)}: ${cmd.ms === 0 ? 'answering at once' : `answering after ${cmd.ms} ms`}`];
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
