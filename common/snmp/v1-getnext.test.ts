import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SMI } from './if-mib.js';
import { END_OF_MIB_VIEW, type RawVarbind } from './varbind.js';
import { NoSuchNameError, v1GetNext } from './v1-getnext.js';

const vb = (oid: string, type: number, value: unknown): RawVarbind => ({ oid, type, value });

const agent = (endAfter: Record<string, boolean>, calls: string[][]) => (oids: string[]) => {
  calls.push(oids);
  const k = oids.findIndex((o) => endAfter[o]);
  if (k >= 0) return Promise.reject(new NoSuchNameError(k));
  return Promise.resolve(oids.map((o) => vb(`${o}.1`, SMI.Integer, 1)));
};

const cases: Array<{ name: string; oids: string[]; ends: string[]; wantEnded: string[]; wantRequests: number }> = [
  { name: 'nothing ends: one request', oids: ['1.1', '1.2', '1.3'], ends: [], wantEnded: [], wantRequests: 1 },
  { name: 'the middle one ends', oids: ['1.1', '1.2', '1.3'], ends: ['1.2'], wantEnded: ['1.2'], wantRequests: 2 },
  { name: 'two end', oids: ['1.1', '1.2', '1.3'], ends: ['1.1', '1.3'], wantEnded: ['1.1', '1.3'], wantRequests: 3 },
  { name: 'all end: bounded by their count', oids: ['1.1', '1.2'], ends: ['1.1', '1.2'], wantEnded: ['1.1', '1.2'], wantRequests: 2 },
];
for (const c of cases) {
  test(`v1GetNext: ${c.name}`, async () => {
    const calls: string[][] = [];
    const ends = Object.fromEntries(c.ends.map((o) => [o, true]));
    const { varbinds, requests } = await v1GetNext(agent(ends, calls), c.oids);
    assert.equal(requests, c.wantRequests);
    assert.equal(calls.length, c.wantRequests);
    assert.deepEqual(varbinds.filter((v) => v.type === END_OF_MIB_VIEW).map((v) => v.oid), c.wantEnded);
    for (const [i, v] of varbinds.entries()) if (v.type !== END_OF_MIB_VIEW) assert.equal(v.oid, `${c.oids[i]}.1`);
  });
}

test('v1GetNext: a noSuchName without an index asks column by column; other errors pass through', async () => {
  const calls: string[][] = [];
  const getNext = (oids: string[]) => {
    calls.push(oids);
    if (oids.includes('1.2')) return Promise.reject(new NoSuchNameError(null));
    return Promise.resolve(oids.map((o) => vb(`${o}.1`, SMI.Integer, 1)));
  };
  const { varbinds } = await v1GetNext(getNext, ['1.1', '1.2', '1.3']);
  assert.deepEqual(varbinds.map((v) => v.type === END_OF_MIB_VIEW), [false, true, false]);
  assert.deepEqual(calls, [['1.1', '1.2', '1.3'], ['1.1'], ['1.2'], ['1.3']]);
  await assert.rejects(v1GetNext(() => Promise.reject(new Error('timed out')), ['1.1']), /timed out/);
});
