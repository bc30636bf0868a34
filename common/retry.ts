// Retrying a send until it succeeds or its component stops, and the one place that tells the two
// kinds of sink errors apart. Transient (network, timeouts, 5xx, broker or coordinator unavailable,
// anything not known to be permanent): retried without limit, with exponential backoff from 250 ms
// up to 10 s and full jitter (a random wait between 0 and the backoff, so many writers that lost the
// same server do not come back in step), each failure logged (rate-limited) and reported to the
// process's health as the dependency being down, until a send succeeds. Permanent (the server will
// never take this record: InfluxDB 4xx about the points, Kafka MESSAGE_TOO_LARGE, INVALID_RECORD,
// CORRUPT_MESSAGE): retrying cannot help, so with `rethrowPermanent` the error goes back to the
// caller at once, which dead-letters the record and goes on.
import type { Health } from './health.js';
import type { createRateLimitedLog } from './log.js';
import { ErrorCodes, NetmonError } from './errors.js';

export type RateLimitedLog = ReturnType<typeof createRateLimitedLog>;

/** Kafka error types (kafkajs `type`) that say the record itself is refused, whatever the broker's state. */
export const PERMANENT_KAFKA_ERRORS = ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE'] as const;

const BASE_MS = 250;
const CAP_MS = 10_000;

/**
 * Whether `err` says the record will never be accepted: a SINK_REJECTED NetmonError, or a Kafka
 * error of a permanent type anywhere in its cause chain (kafkajs wraps the broker's answer in
 * KafkaJSNonRetriableError or KafkaJSNumberOfRetriesExceeded).
 */
export function isPermanent(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && e && typeof e === 'object'; depth++) {
    if (e instanceof NetmonError && e.code === ErrorCodes.SINK_REJECTED) return true;
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && (PERMANENT_KAFKA_ERRORS as readonly string[]).includes(type)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The wait before retry number `attempt` (0-based): uniform in [0, min(cap, base * 2^attempt)). */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(CAP_MS, BASE_MS * 2 ** Math.min(attempt, 30)));
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface RetryOptions {
  isRunning: () => boolean;
  log: RateLimitedLog;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Where a failure and the recovery are reported, as `dependency` being down and up again. */
  health?: { tracker: Health; dependency: string };
  /** Throw a permanent error (isPermanent) at once instead of retrying it (default: every error is retried). */
  rethrowPermanent?: boolean;
}

/** True once `fn` succeeded; false when it failed while `isRunning()` was false (the caller stops). */
export async function retryWhileRunning(what: string, fn: () => Promise<unknown>, opts: RetryOptions): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fn();
      opts.health?.tracker.up(opts.health.dependency);
      return true;
    } catch (err) {
      if (opts.rethrowPermanent && isPermanent(err)) {
        // The dependency answered: it is up, this record is what it refuses.
        opts.health?.tracker.up(opts.health.dependency);
        throw err;
      }
      opts.health?.tracker.down(opts.health.dependency, err);
      const wait = backoffMs(attempt, opts.random);
      opts.log(what, 'warn', { err: (err as Error).message, retryInMs: wait }, `${what} failed; retrying`);
      if (!opts.isRunning()) return false;
      await (opts.sleep ?? defaultSleep)(wait);
    }
  }
}
