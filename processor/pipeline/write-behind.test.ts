import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createWriteBehind } from './write-behind.js';

const tick = () => new Promise((r) => setImmediate(r));

test('jobs are written in order; jobs queued behind a write are coalesced into the next', async () => {
  const flushed: number[][] = [];
  let release!: () => void;
  const w = createWriteBehind<number>(async (jobs) => {
    flushed.push(jobs);
    if (flushed.length === 1) await new Promise<void>((r) => (release = r));
  }, 10);
  await w.push(1);
  await w.push(2);
  await w.push(3);
  await tick();
  assert.deepEqual(flushed, [[1]], 'the first write is in flight, the others wait');
  release();
  await w.drain();
  assert.deepEqual(flushed, [[1], [2, 3]]);
  assert.equal(w.pending(), 0);
});

test('push waits while the queue is full (backpressure) and resumes when the writer takes it', async () => {
  let release!: () => void;
  let calls = 0;
  const w = createWriteBehind<number>(async () => {
    calls++;
    if (calls === 1) await new Promise<void>((r) => (release = r));
  }, 2);
  await w.push(1); // taken by the writer at once
  await tick();
  await w.push(2);
  let third = false;
  const p = w.push(3).then(() => (third = true));
  await tick();
  assert.equal(third, false, 'two queued behind a stuck write: the producer waits');
  release();
  await p;
  assert.equal(third, true);
  await w.drain();
  assert.equal(calls, 2);
});

test('maxPending must be a positive integer', () => {
  assert.throws(() => createWriteBehind(() => Promise.resolve(), 0), /maxPending/);
});
