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
