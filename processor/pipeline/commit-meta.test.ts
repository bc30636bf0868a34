import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCommitMeta, encodeCommitMeta } from './commit-meta.js';

test('commit metadata round-trips a checkpoint, infinities as null', () => {
  const s = encodeCommitMeta({ offset: 17, floor: 1_700_000_040_000, maxEventTsBefore: -Infinity, maxEventTs: 1_700_000_100_000 }, 42);
  assert.ok(s.length < 200, 'well under the broker limit for offset metadata (4096 bytes by default)');
  assert.deepEqual(decodeCommitMeta(s), { v: 1, floor: 1_700_000_040_000, maxTs: null, upto: 42, top: 1_700_000_100_000 });
});

test('the attempt count rides along when there is one', () => {
  const cp = { offset: 3, floor: -Infinity, maxEventTsBefore: -Infinity, maxEventTs: -Infinity };
  assert.deepEqual(decodeCommitMeta(encodeCommitMeta(cp, 9, 2)), { v: 1, floor: null, maxTs: null, upto: 9, top: null, tries: 2 });
  assert.equal(decodeCommitMeta(encodeCommitMeta(cp, 9, 0))?.tries, undefined);
});

test('a commit of an older processor (no top, no tries) still restores', () => {
  assert.deepEqual(decodeCommitMeta('{"v":1,"floor":null,"maxTs":5,"upto":7}'), { v: 1, floor: null, maxTs: 5, upto: 7 });
});

test('metadata that is not ours starts the partition fresh', () => {
  for (const bad of [
    null,
    undefined,
    '',
    'x',
    '{}',
    '{"v":2,"floor":null,"maxTs":null,"upto":1}',
    '{"v":1,"floor":"a","maxTs":null,"upto":1}',
    '{"v":1,"floor":null,"maxTs":null,"upto":1.5}',
    '{"v":1,"floor":null,"maxTs":null,"upto":1,"top":"x"}',
    '{"v":1,"floor":null,"maxTs":null,"upto":1,"tries":-1}',
  ]) {
    assert.equal(decodeCommitMeta(bad), null, String(bad));
  }
});
