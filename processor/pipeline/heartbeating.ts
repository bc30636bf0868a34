// Waiting inside a batch without dropping out of the consumer group. kafkajs 2 sends heartbeats only
// from its batch loop (between batches, or when the batch handler calls `heartbeat`), so a batch that
// waits (for room in the write-behind queue behind a stalled sink, or behind the serial queue) sends
// none: the coordinator drops the member after the session timeout, and the fence's lease lapses with
// nothing left to renew it, since the only heartbeat would come after the wait, which waits for the
// lease: a deadlock that outlasts the outage.
// Rules: while `work` runs, a heartbeat every `everyMs` (kafkajs shares concurrent calls and skips
// ones within its interval); the first heartbeat that fails (the group rebalances, the member is
// unknown, the coordinator is away) ends the wait at once with its error, which is what kafkajs does
// with its own heartbeat errors (rejoin, or retry the fetch loop). `work` then goes on by itself: it
// belongs to the ended assignment, whose output the fence drops (the owner replays it from the
// commit), so its own outcome no longer matters to the caller.
export async function whileHeartbeating<T>(work: Promise<T>, heartbeat: () => Promise<void>, everyMs: number): Promise<T> {
  let settled = false;
  let timer: NodeJS.Timeout | null = null;
  const beating = new Promise<never>((_resolve, reject) => {
    const schedule = () => {
      timer = setTimeout(() => {
        heartbeat().then(
          () => {
            if (!settled) schedule();
          },
          (err: unknown) => {
            if (!settled) reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
      }, everyMs);
    };
    schedule();
  });
  try {
    return await Promise.race([work, beating]);
  } catch (err) {
    // Abandoned after a failed heartbeat, `work` may still fail later: that is not an unhandled rejection.
    work.catch(() => undefined);
    throw err;
  } finally {
    settled = true;
    if (timer) clearTimeout(timer);
  }
}
