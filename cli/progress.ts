// A progress line for long commands on a terminal (`netmon pcap import`): packets, bytes, rate and,
// when the total is known (a file, not a pipe), the share done and the time left. Redrawn in place
// on a TTY at most a few times a second; nothing at all when the output is not a terminal, so
// scripts and logs see only the final summary.
export interface ProgressSample {
  bytes: number;
  packets: number;
  /** The input's size, when known. */
  totalBytes: number | null;
  elapsedMs: number;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${UNITS[u]}`;
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The line shown, e.g. `12,345 packets, 3.4 MiB of 10.0 MiB (34 %), 1.2 MiB/s, 6 s left`. */
export function formatProgress(p: ProgressSample): string {
  const secs = p.elapsedMs / 1000;
  const rate = secs > 0 ? p.bytes / secs : 0;
  const parts = [`${p.packets.toLocaleString('en-US')} packets`];
  if (p.totalBytes !== null && p.totalBytes > 0) {
    const share = Math.min(100, Math.floor((100 * p.bytes) / p.totalBytes));
    parts.push(`${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)} (${share} %)`);
  } else {
    parts.push(formatBytes(p.bytes));
  }
  parts.push(`${formatBytes(Math.round(rate))}/s`);
  if (p.totalBytes !== null && rate > 0 && p.bytes < p.totalBytes) parts.push(`${formatDuration((p.totalBytes - p.bytes) / rate)} left`);
  return parts.join(', ');
}

export interface ProgressLine {
  stop(): void;
}

/** Redraws `label: <progress>` on `out` every `everyMs` while it runs; a no-op when `out` is not a terminal. */
export function startProgress(out: NodeJS.WriteStream, label: string, read: () => Omit<ProgressSample, 'elapsedMs'>, everyMs = 250, now: () => number = Date.now): ProgressLine {
  if (!out.isTTY) return { stop() {} };
  const started = now();
  const draw = () => {
    const line = `${label}: ${formatProgress({ ...read(), elapsedMs: now() - started })}`;
    out.write(`\r\x1b[K${line.slice(0, Math.max(20, (out.columns ?? 100) - 1))}`);
  };
  const timer = setInterval(draw, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      out.write('\r\x1b[K');
    },
  };
}
