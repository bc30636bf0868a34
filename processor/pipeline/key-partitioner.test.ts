// The remembering partitioner answers as kafkajs's default for keyed, unkeyed and pinned records,
// before and after a topic grows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPartitioner } from '../../common/bus/kafka.js';
import { cachedKeyPartitioner } from './key-partitioner.js';

const meta = (n: number) => Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));

test('keyed records land where the default partitioner puts them, for each partition count', () => {
  const cached = cachedKeyPartitioner();
  const plain = defaultPartitioner();
  const keys = Array.from({ length: 300 }, (_, i) => `sw-${i}.lab`);
  const seen = new Set<number>();
  for (const n of [12, 12, 7, 12, 30]) {
    for (const key of keys) {
      const args = { topic: 't', partitionMetadata: meta(n), message: { key, value: 'v' } };
      const p = cached(args);
      assert.equal(p, plain(args), `${key} over ${n} partitions`);
      seen.add(p);
    }
  }
  // The keys spread: an answer stuck at one partition would pass the equality only by accident.
  assert.ok(seen.size > 12);
});

test('an explicit partition wins; unkeyed records go round robin over the partitions', () => {
  const cached = cachedKeyPartitioner();
  assert.equal(cached({ topic: 't', partitionMetadata: meta(12), message: { key: 'a', value: 'v', partition: 5 } }), 5);
  const spread = new Set(Array.from({ length: 24 }, () => cached({ topic: 't', partitionMetadata: meta(12), message: { value: 'v' } })));
  assert.equal(spread.size, 12);
});
