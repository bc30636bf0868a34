import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCommitMeta, encodeCommitMeta } from './commit-meta.js';

test('commit metadata round-trips a checkpoint, infinities as null', () => {
  const s = encodeCommitMeta({ offset: 17, floor: 1_700_000_040_000, maxEventTsBefore: -Infinity }, 42);
  assert.ok(s.length < 200, 'well under the broker limit for offset metadata (4096 bytes by default)');
  assert.deepEqual(decodeCommitMeta(s), { v: 1, floor: 1_700_000_040_000, maxTs: null, upto: 42 });
});

test('metadata that is not ours starts the partition fresh', () => {
  for (const bad of [null, undefined, '', 'x', '{}', '{"v":2,"floor":null,"maxTs":null,"upto":1}', '{"v":1,"floor":"a","maxTs":null,"upto":1}', '{"v":1,"floor":null,"maxTs":null,"upto":1.5}']) {
    assert.equal(decodeCommitMeta(bad), null, String(bad));
  }
});
