// The supervisor's restart policy, pure: given when a component failed before and now, restart it
// after an exponential backoff or give up. Failures are counted in a sliding window, so a component
// that fails now and then is always restarted, while one that fails over and over (a crash loop)
// makes the process exit with a named reason instead of spinning forever in an unknown state.
// Times come from a monotonic clock (the caller's), never from the wall clock, which can step.

export interface RestartPolicy {
  /** Restarts allowed within `windowMs`; the next failure gives up. */
  maxRestarts: number;
  /** The sliding window failures are counted in. */
  windowMs: number;
  /** The wait before the first restart; doubled for each further failure in the window. */
  baseDelayMs: number;
  /** The wait never exceeds this. */
  maxDelayMs: number;
}

/** Five restarts within ten minutes (waits 1, 2, 4, 8, 16 s); the sixth failure ends the process. */
export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = Object.freeze({ maxRestarts: 5, windowMs: 10 * 60_000, baseDelayMs: 1_000, maxDelayMs: 60_000 });

export type RestartDecision =
  | { action: 'restart'; /** 1 for the first failure in the window. */ attempt: number; delayMs: number }
  | { action: 'give-up'; /** Failures in the window, this one included. */ failures: number };

/** The wait before restart `attempt` (1-based). */
export function backoffMs(policy: RestartPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Records a failure at `now` in `history` (failure times, oldest first; the caller keeps it per
 * component) and decides. Returns the history to keep: only the failures still inside the window.
 */
export function decideRestart(policy: RestartPolicy, history: readonly number[], now: number): { decision: RestartDecision; history: number[] } {
  const kept = history.filter((t) => now - t < policy.windowMs);
  kept.push(now);
  const decision: RestartDecision = kept.length > policy.maxRestarts ? { action: 'give-up', failures: kept.length } : { action: 'restart', attempt: kept.length, delayMs: backoffMs(policy, kept.length) };
  return { decision, history: kept };
}

/** Throws a RangeError naming the bad field. */
export function checkRestartPolicy(p: RestartPolicy): void {
  if (!Number.isInteger(p.maxRestarts) || p.maxRestarts < 0) throw new RangeError(`maxRestarts must be an integer >= 0, got ${p.maxRestarts}`);
  for (const k of ['windowMs', 'baseDelayMs', 'maxDelayMs'] as const) if (!(p[k] >= 0)) throw new RangeError(`${k} must be >= 0, got ${p[k]}`);
}
