// Tells, for a dashboard instance that shares the config topic with others (dashboard.shared), what
// a record coming back from the topic means for its view. Rules: the topic's order per key decides
// (last writer wins); an instance applies its own change at once and counts it as in flight until it
// reads it back; a record of another instance read while an own record of that key is in flight was
// written before the own one (one partition per key, read in order), so it does not change the view:
// the own record, later on the topic, wins. Pure state, no I/O.

/** What to do with a record read from the topic. */
export type EchoVerdict = 'own' | 'behind-own' | 'apply';

export interface EchoTracker {
  /** Before sending own records for these keys. */
  sending(keys: Iterable<string>): void;
  /** The send failed: the records never reached the topic. */
  failed(keys: Iterable<string>): void;
  /** A record read from the topic; `own` when this instance wrote it. */
  seen(key: string, own: boolean): EchoVerdict;
  /** Keys with own records not yet read back. */
  inFlight(): number;
}

export function createEchoTracker(): EchoTracker {
  const pending = new Map<string, number>();
  const drop = (key: string) => {
    const n = (pending.get(key) ?? 0) - 1;
    if (n > 0) pending.set(key, n);
    else pending.delete(key);
  };
  return {
    sending(keys) {
      for (const k of keys) pending.set(k, (pending.get(k) ?? 0) + 1);
    },
    failed(keys) {
      for (const k of keys) drop(k);
    },
    seen(key, own) {
      if (own) {
        drop(key);
        return 'own';
      }
      return pending.has(key) ? 'behind-own' : 'apply';
    },
    inFlight: () => pending.size,
  };
}
