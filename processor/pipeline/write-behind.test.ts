import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createWriteBehind } from './write-behind.js';

const tick = () => new Promise((r) => setImmediate(r));
const fail = (err: unknown) => assert.fail(`unexpected write failure: ${String(err)}`);

test('jobs are written in order; jobs queued behind a write are coalesced into the next', async () => {
  const flushed: number[][] = [];
  let release!: () => void;
  const w = createWriteBehind<number>(async (jobs) => {
    flushed.push(jobs);
    if (flushed.length === 1) await new Promise<void>((r) => (release = r));
  }, 10, fail);
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
  }, 2, fail);
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
  assert.throws(() => createWriteBehind(() => Promise.resolve(), 0, fail), /maxPending/);
});

test('a write that throws is caught and reported once; nothing after it is written (no commit covers lost output) until reset', async () => {
  const flushed: number[][] = [];
  const reported: unknown[] = [];
  let rejections = 0;
  const onRejection = () => rejections++;
  process.on('unhandledRejection', onRejection);
  try {
    let release!: () => void;
    const w = createWriteBehind<number>(async (jobs) => {
      flushed.push(jobs);
      if (flushed.length === 1) {
        await new Promise<void>((r) => (release = r));
        throw new Error('MESSAGE_TOO_LARGE');
      }
    }, 2, (err) => reported.push(err));
    await w.push(1);
    await tick();
    await w.push(2); // queued behind the failing write
    let unblocked = false;
    const third = w.push(3).then(() => (unblocked = true));
    await tick();
    assert.equal(unblocked, false, 'backpressure while the write is in flight');
    release();
    await third;
    assert.equal(unblocked, true, 'a producer waiting for room is released by the failure, not left hanging');
    await w.drain();
    assert.equal(reported.length, 1);
    assert.match(String(reported[0]), /MESSAGE_TOO_LARGE/);
    assert.match(String(w.failure()), /MESSAGE_TOO_LARGE/);
    await w.push(4);
    await w.drain();
    assert.deepEqual(flushed, [[1]], 'jobs 2, 3 and 4 are discarded, never written after the failed one');
    assert.equal(w.pending(), 0);
    w.reset();
    assert.equal(w.failure(), null);
    await w.push(5);
    await w.drain();
    assert.deepEqual(flushed, [[1], [5]], 'after reset it writes again');
    await tick();
    assert.equal(rejections, 0, 'no unhandled rejection');
  } finally {
    process.off('unhandledRejection', onRejection);
  }
});

test('an onError that throws still leaves no rejected promise behind', async () => {
  const w = createWriteBehind<number>(() => Promise.reject(new Error('x')), 1, () => {
    throw new Error('reporting failed');
  });
  await w.push(1);
  await w.drain();
  assert.match(String(w.failure()), /x/);
});
