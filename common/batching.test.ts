import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchEnd, batches, HEADER_OVERHEAD_BYTES, messageBytes, recordBytes } from './batching.js';

const len = (s: string) => s.length;

test('batches keep order and respect the byte cap', () => {
  const items = ['aaa', 'bb', 'cccc', 'd', 'eeeee'];
  const out = batches(items, len, { maxBytes: 5 });
  assert.deepEqual(out, [['aaa', 'bb'], ['cccc', 'd'], ['eeeee']]);
  assert.deepEqual(out.flat(), items);
  for (const b of out) assert.ok(b.reduce((s, x) => s + x.length, 0) <= 5);
});

test('batches respect the count cap', () => {
  assert.deepEqual(batches([1, 2, 3, 4, 5], () => 1, { maxBytes: 100, maxCount: 2 }), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(batches([1, 2, 3, 4, 5], () => 1e9, { maxCount: 2 }), [[1, 2], [3, 4], [5]], 'no byte cap given');
});

test('an item alone above the byte cap is a batch of its own, never an empty batch or a stall', () => {
  assert.deepEqual(batches(['x', 'yyyyyyyy', 'z'], len, { maxBytes: 3 }), [['x'], ['yyyyyyyy'], ['z']]);
  assert.equal(batchEnd(['yyyyyyyy'], 0, len, { maxBytes: 3 }), 1);
  assert.equal(batchEnd(['a'], 1, len, { maxBytes: 3 }), 1);
  assert.deepEqual(batches([], len, { maxBytes: 3 }), []);
});

test('messageBytes counts UTF-8 bytes of key and value', () => {
  assert.equal(messageBytes({ key: 'ab', value: 'é' }), 4);
  assert.equal(messageBytes({ key: null, value: null }), 0);
});

test('messageBytes is the UTF-8 size the broker sees, not the UTF-16 length', () => {
  const cases: Array<{ name: string; key: string | null; value: string | null; bytes: number }> = [
    { name: 'ASCII', key: 'dev1', value: '{"a":1}', bytes: 11 },
    { name: 'two-byte letters', key: null, value: 'ééé', bytes: 6 },
    { name: 'three-byte symbols', key: '€', value: '€€', bytes: 9 },
    { name: 'a four-byte emoji is two UTF-16 units', key: null, value: '📈', bytes: 4 },
    { name: 'a lone surrogate is encoded as U+FFFD (3 bytes)', key: null, value: '\ud800', bytes: 3 },
  ];
  for (const c of cases) {
    assert.equal(messageBytes({ key: c.key, value: c.value }), c.bytes, c.name);
    assert.equal(messageBytes({ key: c.key, value: c.value }), Buffer.from(`${c.key ?? ''}${c.value ?? ''}`, 'utf8').length, `${c.name}: as Buffer.from encodes it`);
  }
});

test('recordBytes counts headers: a thousand records with the origin header fit the bound they are cut to', () => {
  const headers = { 'netmon-origin': 'a'.repeat(24) };
  const m = { key: 'device:r1', value: 'x'.repeat(100), headers };
  assert.equal(recordBytes(m), recordBytes({ key: m.key, value: m.value }) + Buffer.byteLength('netmon-origin') + 24 + HEADER_OVERHEAD_BYTES);
  const msgs = Array.from({ length: 1000 }, () => m);
  for (const chunk of batches(msgs, recordBytes, { maxBytes: 10_000 })) {
    const wire = chunk.reduce((n, r) => n + Buffer.byteLength(r.key) + Buffer.byteLength(r.value) + Buffer.byteLength('netmon-origin') + 24, 0);
    assert.ok(wire <= 10_000, `a chunk of ${chunk.length} records carries ${wire} bytes of keys, values and headers`);
  }
});
