// Write-behind for the processor's sinks: the consumer hands each batch's output (windows, dead
// letters, the checkpoint to commit) to a queue and goes on decoding the next batch while the
// previous output is written. Jobs are written in order, queued ones coalesced into one write
// (one InfluxDB request, one produce, one offset commit), so a commit never gets ahead of the
// writes it covers. At most `maxPending` jobs wait; `push` waits for room beyond that.

export interface WriteBehind<J> {
  /** Queues a job; resolves once the queue has room again (backpressure). */
  push(job: J): Promise<void>;
  /** Resolves when every job queued so far is written. */
  drain(): Promise<void>;
  pending(): number;
}

export function createWriteBehind<J>(flush: (jobs: J[]) => Promise<void>, maxPending: number): WriteBehind<J> {
  if (!Number.isInteger(maxPending) || maxPending < 1) throw new RangeError(`maxPending must be an integer >= 1, got ${maxPending}`);
  let queue: J[] = [];
  let loop: Promise<void> | null = null;
  let waiters: Array<() => void> = [];

  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const r of w) r();
  };

  async function run(): Promise<void> {
    while (queue.length > 0) {
      const jobs = queue;
      queue = [];
      wake();
      await flush(jobs);
    }
    loop = null;
    wake();
  }

  return {
    push(job) {
      queue.push(job);
      loop ??= run();
      if (queue.length < maxPending) return Promise.resolve();
      return new Promise((r) => waiters.push(r));
    },
    async drain() {
      while (loop) await loop;
    },
    pending: () => queue.length + (loop ? 1 : 0),
  };
}
