// One-at-a-time execution for async work on shared state (the window engine, a rules or devices
// file): functions run in call order, each after the previous one settled; a failure is the
// caller's to handle and does not stop the ones queued after it.
import { asNetmonError, errorMessage } from './errors.js';
import type { Logger } from './log.js';

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

/**
 * An API change run on `serial` (the devices or rules file): one at a time. A failure nobody foresaw
 * (not a NetmonError: the file cannot be written, ...) is logged with `what` and its cause and
 * rethrown as an INTERNAL error saying the change was not saved; catalogue errors pass as they are.
 */
export function runChange<T>(serial: Serial, log: Logger, what: string, fn: () => Promise<T>): Promise<T> {
  return serial.run(fn).catch((err: unknown) => {
    const failed = asNetmonError(err, 'the change was not saved');
    if (failed !== err) log.error({ err: errorMessage(err) }, what);
    throw failed;
  });
}
