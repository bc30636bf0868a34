// The processor producer's partitioner: kafkajs's default (murmur2, Java client compatible), with
// the partition of each string key remembered. The processor writes one window record per
// interface-sample at 60 s polls, every one keyed by its device id, and the default partitioner
// hashes the key and filters the partition list for every record.
// Rules: the same answer as the default partitioner for every record (an explicit partition wins;
// a record without a key goes to the default's round robin); an answer is remembered per partition
// count (the answer depends on nothing else), so a topic that grows is hashed again; at most MAX_KEYS
// keys are kept per count (then that count's are forgotten at once).
import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';
import { defaultPartitioner } from '../../common/bus/kafka.js';

/** Device ids remembered; beyond it the memory starts over (a fleet of this many devices hashes once per refill). */
export const MAX_KEYS = 100_000;

export const cachedKeyPartitioner: ICustomPartitioner = () => {
  const fallback = defaultPartitioner();
  const byCount = new Map<number, Map<string, number>>();
  return (args: PartitionerArgs) => {
    const { message, partitionMetadata } = args;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const key = message.key;
    if (typeof key !== 'string') return fallback(args);
    let byKey = byCount.get(partitionMetadata.length);
    if (!byKey || byKey.size >= MAX_KEYS) {
      byKey = new Map();
      byCount.set(partitionMetadata.length, byKey);
    }
    let p = byKey.get(key);
    if (p === undefined) {
      p = fallback(args);
      byKey.set(key, p);
    }
    return p;
  };
};
