import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Baseline } from './baseline.js';
import type { Observation } from './counter-delta.js';

const U64_MAX = (1n << 64n) - 1n;
const base: Observation = {
  ts: 1_700_000_000_000,
  sysUpTime: 4_294_967_295,
  width: 32,
  speed: 1e9,
  discontinuityTime: 77,
  inOctets: U64_MAX,
  outOctets: 0n,
  inPackets: 1n << 53n,
  outPackets: (1n << 53n) + 1n,
};

const cases: Array<{ name: string; obs: Observation }> = [
  { name: 'extremes, errors and discards absent', obs: { ...base } },
  { name: 'errors and discards present, some zero', obs: { ...base, inErrors: 0n, outErrors: 5n, inDiscards: U64_MAX, outDiscards: 1n } },
  { name: 'every counter below 2^53 (kept in doubles only)', obs: { ...base, inOctets: 123n, outOctets: (1n << 53n) - 1n, inPackets: 0n, outPackets: 5n, inErrors: 3n } },
  { name: 'only some optional counters present', obs: { ...base, outErrors: 9n, inErrors: undefined, inDiscards: undefined, outDiscards: undefined } },
];

for (const c of cases) {
  test(`Baseline keeps an observation exactly: ${c.name}`, () => {
    const scratch: Observation = { ...base, ts: 0 };
    const want = { inErrors: undefined, outErrors: undefined, inDiscards: undefined, outDiscards: undefined, ...c.obs };
    assert.deepEqual(new Baseline(c.obs).readInto(scratch), want);
    const b = new Baseline({ ...base, inErrors: 1n, outErrors: 1n, inDiscards: 1n, outDiscards: 1n });
    b.adopt(c.obs);
    assert.deepEqual(b.readInto(scratch), want, 'after adopt over a fuller baseline');
  });
}

test('Baseline switches between doubles and exact 64-bit values as counters cross 2^53, and adoptSafe keeps doubles', () => {
  const scratch: Observation = { ...base, ts: 0 };
  const small: Observation = { ...base, inOctets: 10n, outOctets: 20n, inPackets: 30n, outPackets: 40n, inDiscards: 7n };
  const b = new Baseline(small);
  b.adopt(base);
  assert.deepEqual(b.readInto(scratch), { ...base, inErrors: undefined, outErrors: undefined, inDiscards: undefined, outDiscards: undefined });
  b.adopt(small);
  assert.deepEqual(b.readInto(scratch), { ...small, inErrors: undefined, outErrors: undefined, outDiscards: undefined });
  b.adopt(base);
  b.adoptSafe({ ...small, ts: 5 }, [1, 2, 3, 4, 0, 0, 9, 0], 4);
  assert.deepEqual(b.readInto(scratch), { ...small, ts: 5, inOctets: 1n, outOctets: 2n, inPackets: 3n, outPackets: 4n, inErrors: undefined, outErrors: undefined, inDiscards: 9n, outDiscards: undefined });
  assert.deepEqual([...b.nums], [1, 2, 3, 4, 0, 0, 9, 0]);
});
