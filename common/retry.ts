// Retrying a write until it succeeds or its component stops: exponential backoff from 250 ms up to
// 10 s, each failure logged (rate-limited) with the wait. Used by the sinks that must not lose what
// they were given while InfluxDB or Kafka is briefly away.
import type { createRateLimitedLog } from './log.js';

export type RateLimitedLog = ReturnType<typeof createRateLimitedLog>;

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** True once `fn` succeeded; false when it failed while `isRunning()` was false (the caller stops). */
export async function retryWhileRunning(
  what: string,
  fn: () => Promise<unknown>,
  opts: { isRunning: () => boolean; log: RateLimitedLog; sleep?: (ms: number) => Promise<void> },
): Promise<boolean> {
  let backoff = 250;
  for (;;) {
    try {
      await fn();
      return true;
    } catch (err) {
      opts.log(what, 'warn', { err: (err as Error).message, retryInMs: backoff }, `${what} failed; retrying`);
      if (!opts.isRunning()) return false;
      await (opts.sleep ?? defaultSleep)(backoff);
      backoff = Math.min(backoff * 2, 10_000);
    }
  }
}
