// Counting authentication failures per client address (wrong bearer tokens, failed logins) in fixed
// one-minute windows. Rules: once an address has `max` failures in its window every attempt from it
// is refused until the window ends, a right one included (else guessing goes on at full speed and
// stops only on success); memory is bounded: at most `maxClients` addresses, the oldest dropped.
// Pure: the caller passes the time.
export interface FailureLimiter {
  /** ms until `client` may try again, or 0 when it may try now. */
  blockedFor(client: string, now: number): number;
  /** Counts a failure; returns blockedFor after it. */
  fail(client: string, now: number): number;
}

export function createFailureLimiter(opts: { max: number; windowMs: number; maxClients?: number }): FailureLimiter {
  const maxClients = opts.maxClients ?? 10_000;
  const windows = new Map<string, { start: number; count: number }>();
  function current(client: string, now: number) {
    const w = windows.get(client);
    if (w && now - w.start < opts.windowMs) return w;
    if (w) windows.delete(client);
    return null;
  }
  const blocked = (w: { start: number; count: number } | null, now: number) => (w && w.count >= opts.max ? w.start + opts.windowMs - now : 0);
  return {
    blockedFor: (client, now) => blocked(current(client, now), now),
    fail(client, now) {
      let w = current(client, now);
      if (!w) {
        if (windows.size >= maxClients) windows.delete(windows.keys().next().value as string);
        w = { start: now, count: 0 };
        windows.set(client, w);
      }
      w.count++;
      return blocked(w, now);
    },
  };
}
