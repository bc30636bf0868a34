import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryWhileRunning } from './retry.js';

test('retries with doubling backoff until the write succeeds', async () => {
  const waits: number[] = [];
  const logged: string[] = [];
  let calls = 0;
  const ok = await retryWhileRunning('write', () => (++calls < 4 ? Promise.reject(new Error(`no ${calls}`)) : Promise.resolve()), {
    isRunning: () => true,
    log: (_k, _l, obj) => void logged.push((obj as { err: string }).err),
    sleep: (ms) => Promise.resolve(void waits.push(ms)),
  });
  assert.equal(ok, true);
  assert.deepEqual(waits, [250, 500, 1000]);
  assert.deepEqual(logged, ['no 1', 'no 2', 'no 3']);
});

test('gives up (false) when a write fails after the component stopped', async () => {
  const ok = await retryWhileRunning('write', () => Promise.reject(new Error('down')), { isRunning: () => false, log: () => undefined, sleep: () => Promise.resolve() });
  assert.equal(ok, false);
});
