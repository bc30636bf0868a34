import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, NotFoundError } from './errors.js';
import type { Logger } from './log.js';
import { createSerial, runChange } from './serial.js';

test('serial runs in call order, one at a time, and goes on after a failure', async () => {
  const s = createSerial();
  const log: string[] = [];
  let running = 0;
  const job = (name: string, ms: number, fail = false) => async () => {
    running++;
    assert.equal(running, 1, 'one at a time');
    log.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`end ${name}`);
    running--;
    if (fail) throw new Error(name);
    return name;
  };
  const a = s.run(job('a', 20));
  const b = s.run(job('b', 1, true));
  const c = s.run(job('c', 1));
  assert.equal(await a, 'a');
  await assert.rejects(b, /b/);
  assert.equal(await c, 'c');
  await s.idle();
  assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  const d = s.run(job('d', 5, true));
  await s.idle();
  await assert.rejects(d);
});

test('runChange: a catalogue error passes as it is; an unforeseen one is logged and says the change was not saved', async () => {
  const s = createSerial();
  const logged: string[] = [];
  const log = { error: (_o: unknown, msg: string) => logged.push(msg) } as unknown as Logger;
  const notFound = new NotFoundError('no device with id "x"');
  await assert.rejects(runChange(s, log, 'device change failed', () => Promise.reject(notFound)), (e) => e === notFound);
  assert.deepEqual(logged, []);
  await assert.rejects(runChange(s, log, 'device change failed', () => Promise.reject(new Error('EACCES: permission denied'))), {
    code: ErrorCodes.INTERNAL,
    message: 'the change was not saved: EACCES: permission denied',
  });
  assert.deepEqual(logged, ['device change failed']);
  assert.equal(await runChange(s, log, 'device change failed', () => Promise.resolve(7)), 7);
});
