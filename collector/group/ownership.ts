// Which devices this collector polls, in a collector group (pure). Kafka's group protocol assigns
// this member some partitions of the collector-state topic; a device belongs to the partition its id
// hashes to (the producer's murmur2 partitioner, so its state records are on that same partition).
// A partition's devices are polled only once the partition has been read up to the end it had when
// it was assigned (the state that follows the device, e.g. its interface identity map, is then
// known). A rebalance revokes everything until the next assignment arrives; a partition that was
// ours and read before the rebalance and is ours again after it needs no re-reading (in the group
// protocol nobody else held it in between: every member takes part in each rebalance). A gate may
// hold a read partition back further (takeover.ts).
import type { DeviceConfig } from '../../common/config/schema.js';

export interface Ownership {
  /** The configured device set (devices.yaml, then the config topic). */
  setDesired(desired: ReadonlyMap<string, DeviceConfig>): void;
  /**
   * A rebalance started: nothing is ours until the next assignment, which keeps what was read if ours
   * again, unless `keep` is false (the member may have been dropped from the group meanwhile).
   */
  revoke(keep?: boolean): void;
  /** The group handed out a new assignment: reading starts over (records read from now on count, whatever the partition). */
  joined(): void;
  /** The new assignment, once the topic's size is known: it has `partitions` partitions, `assigned` are ours. */
  assign(partitions: number, assigned: readonly number[]): void;
  /** The offsets each assigned partition had at assignment (low = first, high = next to be written). */
  setEnds(ends: ReadonlyMap<number, { low: number; high: number }>): void;
  /** Records of `partition` up to `nextOffset` - 1 have been read (since joined; before assign is fine). */
  read(partition: number, nextOffset: number): void;
  /** Assigned partitions not read to their end yet (or whose end is not known yet). */
  pending(): number[];
  /** Gives up waiting: every assigned partition counts as read (its devices start with what is known). */
  forceReady(): number[];
  /** The enabled devices this collector polls now. */
  owned(): Map<string, DeviceConfig>;
  /** Configured, enabled and not polled here now: another collector of the group polls it (or this one will, once read). */
  elsewhere(deviceId: string): boolean;
  /** Our partitions, read or not. */
  assigned(): number[];
  /** A further condition for polling a read partition (takeover.ts: a partition taken over after trouble waits). */
  setGate(allow: (partition: number) => boolean): void;
}

export function createOwnership(partitionOf: (key: string, partitions: number) => number): Ownership {
  let desired: ReadonlyMap<string, DeviceConfig> = new Map();
  let partitions = 0;
  let mine = new Set<number>();
  let ends = new Map<number, { low: number; high: number }>();
  let progress = new Map<number, number>();
  let forced = new Set<number>();
  /** Partitions that were ours and read when the last rebalance started. */
  let keptOver = new Set<number>();
  const memo = new Map<string, number>();
  let memoFor = 0;
  let gate: (partition: number) => boolean = () => true;

  const partOf = (id: string): number => {
    if (memoFor !== partitions) {
      memo.clear();
      memoFor = partitions;
    }
    let p = memo.get(id);
    if (p === undefined) {
      p = partitionOf(id, partitions);
      memo.set(id, p);
    }
    return p;
  };

  const isRead = (p: number): boolean => {
    if (!mine.has(p)) return false;
    if (forced.has(p)) return true;
    const e = ends.get(p);
    if (!e) return false;
    return e.high <= e.low || (progress.get(p) ?? -1) >= e.high;
  };
  const isReady = (p: number): boolean => isRead(p) && gate(p);

  return {
    setDesired(d) {
      desired = d;
    },
    revoke(keep = true) {
      keptOver = keep ? new Set([...mine].filter(isRead)) : new Set();
      mine = new Set();
      ends = new Map();
      progress = new Map();
      forced = new Set();
    },
    joined() {
      progress = new Map();
    },
    assign(n, assigned) {
      const kept = n === partitions ? keptOver : new Set<number>();
      keptOver = new Set();
      partitions = n;
      mine = new Set(assigned.filter((p) => p >= 0 && p < n));
      ends = new Map();
      forced = new Set([...mine].filter((p) => kept.has(p)));
    },
    setEnds(e) {
      ends = new Map(e);
    },
    read(partition, nextOffset) {
      progress.set(partition, Math.max(progress.get(partition) ?? -1, nextOffset));
    },
    pending: () => [...mine].filter((p) => !isRead(p)).sort((a, b) => a - b),
    forceReady() {
      const late = [...mine].filter((p) => !isRead(p)).sort((a, b) => a - b);
      for (const p of late) forced.add(p);
      return late;
    },
    owned() {
      const out = new Map<string, DeviceConfig>();
      if (partitions === 0) return out;
      for (const [id, d] of desired) if (d.enabled && isReady(partOf(id))) out.set(id, d);
      return out;
    },
    elsewhere(id) {
      const d = desired.get(id);
      if (!d?.enabled) return false;
      return partitions === 0 || !isReady(partOf(id));
    },
    assigned: () => [...mine].sort((a, b) => a - b),
    setGate(allow) {
      gate = allow;
    },
  };
}
