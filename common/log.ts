// Logging: pino, JSON lines on stdout for machines (journald, files, pipes), readable lines on a
// terminal (log.format auto|json|pretty; log-pretty.ts). Secrets never reach a log: they are Secret objects that print as <secret>, and the
// usual secret-bearing keys are redacted as a second line of defence. `limited` logs a recurring
// running error at most once per interval per key, with how many were suppressed.
import { pino, type Logger } from 'pino';
import { prettyDestination } from './log-pretty.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where to write; default stdout. */
  destination?: NodeJS.WritableStream;
  /** json: one JSON object per line; pretty: readable lines; auto (default): pretty when the destination is a terminal. */
  format?: LogFormat;
}

export type LogFormat = 'auto' | 'json' | 'pretty';

function isTerminal(s: NodeJS.WritableStream): boolean {
  return (s as { isTTY?: boolean }).isTTY === true;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const out = opts.destination ?? process.stdout;
  const format = opts.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && isTerminal(out));
  // Colour only on a terminal that is not told otherwise (https://no-color.org).
  const colour = pretty && isTerminal(out) && !process.env.NO_COLOR;
  return pino(
    {
      name: opts.name ?? 'netmon',
      level: opts.level ?? 'info',
      redact: { paths: ['*.community', '*.authKey', '*.privKey', '*.password', '*.*.community', '*.*.authKey', '*.*.privKey'], censor: '<secret>' },
      base: { pid: process.pid },
    },
    pretty ? prettyDestination(out, colour) : out,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });

/** Logs at most once per `intervalMs` per key; returns the logger call's suppressed count. */
export function createRateLimitedLog(log: Logger, intervalMs = 60_000, now: () => number = Date.now) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (key: string, level: 'warn' | 'error' | 'info', obj: Record<string, unknown>, msg: string): void => {
    const t = now();
    const entry = last.get(key);
    if (entry && t - entry.at < intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    last.set(key, { at: t, suppressed: 0 });
    log[level](suppressed > 0 ? { ...obj, suppressed } : obj, msg);
  };
}
