// Write-behind for the processor's sinks: the consumer hands each batch's output (windows, dead
// letters, the checkpoint to commit) to a queue and goes on decoding the next batch while the
// previous output is written. Jobs are written in order, queued ones coalesced into one write
// (one InfluxDB request, one produce, one offset commit), so a commit never gets ahead of the
// writes it covers. At most `maxPending` jobs wait; `push` waits for room beyond that.
// A write that throws (the sinks retry what is transient, so this is a failure nobody foresaw) is
// caught, never left as a rejected promise: the queue reports it once through `onError` and stops
// writing. What it held and whatever is pushed afterwards is discarded, because a later commit would
// cover output that was never written; the last commit stays where it was, so the owner's restart
// (stop, reset(), start: the supervisor's job) replays those records from Kafka.

export interface WriteBehind<J> {
  /** Queues a job; resolves once the queue has room again (backpressure). Discards it after a failure. */
  push(job: J): Promise<void>;
  /** Resolves when every job queued so far is written (or discarded after a failure). */
  drain(): Promise<void>;
  pending(): number;
  /** The failure that stopped the queue, or null while it writes. */
  failure(): unknown;
  /** Writes again after a failure (the owner restarted and replays what was discarded). */
  reset(): void;
}

export function createWriteBehind<J>(flush: (jobs: J[]) => Promise<void>, maxPending: number, onError: (err: unknown) => void): WriteBehind<J> {
  if (!Number.isInteger(maxPending) || maxPending < 1) throw new RangeError(`maxPending must be an integer >= 1, got ${maxPending}`);
  let queue: J[] = [];
  let loop: Promise<void> | null = null;
  let waiters: Array<() => void> = [];
  let failed: { err: unknown } | null = null;

  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const r of w) r();
  };

  async function run(): Promise<void> {
    try {
      while (queue.length > 0 && !failed) {
        const jobs = queue;
        queue = [];
        wake();
        await flush(jobs);
      }
    } catch (err) {
      failed = { err };
      queue = [];
      try {
        onError(err);
      } catch {
        // The report itself failing must not turn into the rejection this queue exists to prevent.
      }
    } finally {
      loop = null;
      wake();
    }
  }

  return {
    push(job) {
      if (failed) return Promise.resolve();
      queue.push(job);
      loop ??= run();
      if (queue.length < maxPending) return Promise.resolve();
      return new Promise((r) => waiters.push(r));
    },
    async drain() {
      while (loop) await loop;
    },
    pending: () => queue.length + (loop ? 1 : 0),
    failure: () => failed?.err ?? null,
    reset() {
      failed = null;
    },
  };
}
