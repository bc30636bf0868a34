// whileHeartbeating: heartbeats while a batch waits, stops when it ends, gives up on the first failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { whileHeartbeating } from './heartbeating.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a long wait heartbeats every interval and stops heartbeating once the work is done', async () => {
  let beats = 0;
  const v = await whileHeartbeating(sleep(120).then(() => 'done'), () => Promise.resolve(void beats++), 20);
  assert.equal(v, 'done');
  assert.ok(beats >= 3 && beats <= 6, `about one heartbeat per 20 ms of a 120 ms wait, got ${beats}`);
  const after = beats;
  await sleep(80);
  assert.equal(beats, after, 'no heartbeat after the work ended');
});

test('a short wait sends no heartbeat; the work\'s own error passes through', async () => {
  let beats = 0;
  await assert.rejects(whileHeartbeating(Promise.reject(new Error('decode')), () => Promise.resolve(void beats++), 50), /decode/);
  assert.equal(await whileHeartbeating(Promise.resolve(7), () => Promise.resolve(void beats++), 50), 7);
  await sleep(80);
  assert.equal(beats, 0);
});

test('a failed heartbeat (the member was dropped) ends a wait that would never end, with its error', async () => {
  let beats = 0;
  const never = new Promise<void>(() => undefined);
  const heartbeat = () => (++beats < 3 ? Promise.resolve() : Promise.reject(Object.assign(new Error('The coordinator is not aware of this member'), { type: 'UNKNOWN_MEMBER_ID' })));
  await assert.rejects(whileHeartbeating(never, heartbeat, 10), { type: 'UNKNOWN_MEMBER_ID' });
  assert.equal(beats, 3);
  await sleep(50);
  assert.equal(beats, 3, 'no heartbeat after giving up');
});

test('work abandoned after a failed heartbeat may fail later without an unhandled rejection', async () => {
  let unhandled = 0;
  const count = () => void unhandled++;
  process.on('unhandledRejection', count);
  try {
    const work = sleep(40).then(() => Promise.reject(new Error('late failure')));
    await assert.rejects(whileHeartbeating(work, () => Promise.reject(new Error('rebalancing')), 10), /rebalancing/);
    await sleep(80);
    assert.equal(unhandled, 0);
  } finally {
    process.off('unhandledRejection', count);
  }
});
