// `netmon windows`: stored window results for one device from InfluxDB, as JSON lines (--json, the
// wire form of WindowResult) or as a table for people.
import type { LoadedConfig } from '../common/config/load.js';
import { encodeWindowResult, type WindowResultInput } from '../common/contracts/window-result.js';
import { UsageError } from '../common/errors.js';
import { createInfluxStore } from '../common/store/influx.js';

function parseTime(value: unknown, flag: string): number {
  if (typeof value !== 'string') throw new UsageError(`--${flag} is required (ISO 8601, e.g. 2026-11-21T10:00:00Z)`);
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new UsageError(`--${flag}: not an ISO 8601 time: ${JSON.stringify(value)}`);
  return ms;
}

const fmtRate = (bps: number) => {
  const units = ['b/s', 'kb/s', 'Mb/s', 'Gb/s', 'Tb/s'];
  let v = bps;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
};

export async function windowsCommand(values: Record<string, unknown>, loaded: LoadedConfig, out: (s: string) => void): Promise<number> {
  if (typeof values.device !== 'string' || values.device === '') throw new UsageError('--device ID is required');
  const fromMs = parseTime(values.from, 'from');
  const toMs = parseTime(values.to, 'to');
  if (toMs <= fromMs) throw new UsageError('--to must be after --from');
  let ifIndex: number | null | undefined;
  if (values['device-total']) ifIndex = null;
  if (values.interface !== undefined) {
    if (ifIndex === null) throw new UsageError('--interface and --device-total exclude each other');
    const n = Number(values.interface);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--interface: expected an ifIndex (a positive integer), got ${JSON.stringify(values.interface)}`);
    ifIndex = n;
  }
  const store = createInfluxStore(loaded.config.influx);
  const windows: WindowResultInput[] = await store.queryWindows({ deviceId: values.device, ifIndex, fromMs, toMs });
  if (values.json) {
    for (const w of windows) out(encodeWindowResult(w));
    return 0;
  }
  out(['window start (UTC)', 'if', 'name', 'in', 'out', 'in pkt/s', 'out pkt/s', 'coverage', 'rev'].join('\t'));
  for (const w of windows) {
    out([new Date(w.windowStart).toISOString(), w.ifIndex ?? 'all', w.ifName ?? '', fmtRate(w.inBps), fmtRate(w.outBps), w.inPps.toFixed(1), w.outPps.toFixed(1), w.coverage.toFixed(3), w.revision].join('\t'));
  }
  if (windows.length === 0) out('(no windows in that range)');
  return 0;
}
