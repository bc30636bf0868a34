// One-at-a-time execution for async work on shared state (the window engine, a rules or devices
// file): functions run in call order, each after the previous one settled; a failure is the
// caller's to handle and does not stop the ones queued after it.

export interface Serial {
  /** Runs `fn` after everything queued before it; resolves or rejects with its result. */
  run: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Resolves once everything queued so far has settled (never rejects). */
  idle: () => Promise<void>;
}

export function createSerial(): Serial {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run: (fn) => {
      const next = tail.then(fn, fn);
      tail = next.catch(() => undefined);
      return next;
    },
    idle: () => tail.then(() => undefined),
  };
}
