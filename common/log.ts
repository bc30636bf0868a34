// Logging: pino, JSON lines on stdout (pretty enough for a terminal, machine-readable for an
// appliance). Secrets never reach a log: they are Secret objects that print as <secret> (URLs with a
// credential are SecretUrls that print their origin only), and the usual secret-bearing keys
// (REDACT_PATHS: SNMP communities and keys, passwords, tokens, Authorization and Cookie headers) are
// redacted as a second line of defence. `limited` logs a recurring
// running error at most once per interval per key, with how many were suppressed.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where to write; default stdout. */
  destination?: NodeJS.WritableStream;
}

/** Keys that hold a secret wherever they sit in a logged object (top level, one and two levels down), and the request headers that carry credentials. */
const SECRET_KEYS = ['community', 'authKey', 'privKey', 'password', 'adminPassword', 'adminToken', 'token', 'authorization', 'cookie'];
export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
];

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      name: opts.name ?? 'netmon',
      level: opts.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '<secret>' },
      base: { pid: process.pid },
    },
    opts.destination ?? process.stdout,
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
