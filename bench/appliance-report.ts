// The arithmetic and the table of bench:appliance (pure): CPU seconds per 1,000 interface-samples
// for each part, the capacity their sum implies on a machine of N cores, which part limits it, and
// the printed table. Capacity rule: the machine gives `cores` CPU-seconds per second; the parts
// together need the sum of their CPU-seconds per sample, so the samples per second they can keep up
// with is cores / sum; at 60 s polls each interface is one sample a minute, so interfaces = that x 60.
// The fixed costs (an idle broker's and InfluxDB's housekeeping) are in the measured CPU and so
// scale up with the load here: the figure errs low, never high.

export interface PartCpu {
  part: string;
  /** CPU seconds over the measured interval; null when it could not be read. */
  cpuSecs: number | null;
}

export interface PartRow extends PartCpu {
  per1000: number | null;
  /** Share of the pipeline's CPU (0..1), null when unknown. */
  share: number | null;
}

export interface Capacity {
  rows: PartRow[];
  sumPer1000: number;
  /** Interface-samples per second the machine can carry with every part together. */
  samplesPerSec: number;
  /** Interfaces polled every 60 s (interface-samples per minute). */
  interfacesPerMinute: number;
  /** The part with the most CPU per sample. */
  limitingPart: string;
  goalMet: boolean;
}

export function per1000(cpuSecs: number, samples: number): number {
  if (!(samples > 0)) throw new RangeError(`no interface-samples to divide by (got ${samples})`);
  return (cpuSecs / samples) * 1000;
}

/** Fails when a part's CPU is unknown: a capacity without one of the parts would be a made-up figure. */
export function capacity(parts: readonly PartCpu[], samples: number, cores: number, goalInterfacesPerMinute: number): Capacity {
  const missing = parts.filter((p) => p.cpuSecs === null).map((p) => p.part);
  if (missing.length > 0) throw new Error(`the CPU of ${missing.join(', ')} could not be read: no capacity without every part`);
  const total = parts.reduce((s, p) => s + (p.cpuSecs ?? 0), 0);
  const rows = parts.map((p) => ({ ...p, per1000: per1000(p.cpuSecs ?? 0, samples), share: total > 0 ? (p.cpuSecs ?? 0) / total : null }));
  const sumPer1000 = rows.reduce((s, r) => s + (r.per1000 ?? 0), 0);
  const samplesPerSec = sumPer1000 > 0 ? (cores * 1000) / sumPer1000 : Infinity;
  const limiting = rows.reduce((a, b) => ((b.per1000 ?? 0) > (a.per1000 ?? 0) ? b : a));
  const interfacesPerMinute = samplesPerSec * 60;
  return { rows, sumPer1000, samplesPerSec, interfacesPerMinute, limitingPart: limiting.part, goalMet: interfacesPerMinute >= goalInterfacesPerMinute };
}

/** A plain-text table: the first row is the header; columns padded to their widest cell. */
export function table(rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
}

/** A number with `digits` decimals, or "?" for null/NaN. */
export const fmt = (n: number | null | undefined, digits: number): string => (n === null || n === undefined || !Number.isFinite(n) ? '?' : n.toFixed(digits));
