import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs, isPermanent, retryWhileRunning } from './retry.js';
import { createHealth } from './health.js';
import { createRegistry } from './metrics.js';
import { ErrorCodes, NetmonError } from './errors.js';

test('retries with exponential backoff and full jitter until the write succeeds', async () => {
  const waits: number[] = [];
  const logged: string[] = [];
  let calls = 0;
  const ok = await retryWhileRunning('write', () => (++calls < 7 ? Promise.reject(new Error(`no ${calls}`)) : Promise.resolve()), {
    isRunning: () => true,
    log: (_k, _l, obj) => void logged.push((obj as { err: string }).err),
    sleep: (ms) => Promise.resolve(void waits.push(ms)),
    random: () => 0.5,
  });
  assert.equal(ok, true);
  // Half of 250 * 2^n, capped at 10 s.
  assert.deepEqual(waits, [125, 250, 500, 1000, 2000, 4000]);
  assert.deepEqual(logged, ['no 1', 'no 2', 'no 3', 'no 4', 'no 5', 'no 6']);
});

test('backoffMs: anywhere from 0 to the capped exponential', () => {
  assert.equal(backoffMs(0, () => 0), 0);
  assert.equal(backoffMs(0, () => 0.999), 249);
  assert.equal(backoffMs(10, () => 0.999), 9990);
  assert.equal(backoffMs(5000, () => 0.5), 5000);
});

test('gives up (false) when a write fails after the component stopped', async () => {
  const ok = await retryWhileRunning('write', () => Promise.reject(new Error('down')), { isRunning: () => false, log: () => undefined, sleep: () => Promise.resolve() });
  assert.equal(ok, false);
});

test('isPermanent: catalogue rejections and permanent Kafka types anywhere in the cause chain; everything else is transient', () => {
  const protocol = (type: string) => Object.assign(new Error(type), { type });
  const wrapped = (e: Error) => Object.assign(new Error('wrapper'), { cause: e });
  const cases: Array<[string, unknown, boolean]> = [
    ['SINK_REJECTED', new NetmonError(ErrorCodes.SINK_REJECTED, 'no'), true],
    ['MESSAGE_TOO_LARGE wrapped by kafkajs', wrapped(protocol('MESSAGE_TOO_LARGE')), true],
    ['INVALID_RECORD', protocol('INVALID_RECORD'), true],
    ['CORRUPT_MESSAGE after retries', wrapped(wrapped(protocol('CORRUPT_MESSAGE'))), true],
    ['LEADER_NOT_AVAILABLE', wrapped(protocol('LEADER_NOT_AVAILABLE')), false],
    ['COORDINATOR_NOT_AVAILABLE', protocol('COORDINATOR_NOT_AVAILABLE'), false],
    ['a retriable InfluxDB error', new NetmonError(ErrorCodes.INFLUX, 'HTTP 503'), false],
    ['a network error', new Error('ECONNREFUSED'), false],
    ['not an error', 'x', false],
  ];
  for (const [name, err, want] of cases) assert.equal(isPermanent(err), want, name);
});

test('rethrowPermanent: a permanent error comes back at once; transient ones mark the dependency down until a success', async () => {
  const health = createHealth(createRegistry({ defaultMetrics: false }), { now: () => 1_000 });
  const tooLarge = Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE' });
  let calls = 0;
  await assert.rejects(retryWhileRunning('send', () => (++calls, Promise.reject(tooLarge)), { isRunning: () => true, log: () => undefined, sleep: () => Promise.resolve(), rethrowPermanent: true, health: { tracker: health, dependency: 'kafka' } }), /too large/);
  assert.equal(calls, 1);
  let downSeen = false;
  calls = 0;
  const ok = await retryWhileRunning('send', () => (++calls < 3 ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve()), {
    isRunning: () => true, log: () => undefined, rethrowPermanent: true, health: { tracker: health, dependency: 'kafka' },
    sleep: () => Promise.resolve(void (downSeen ||= health.report().ok === false && health.states()[0]?.lastError === 'ECONNREFUSED')),
  });
  assert.equal(ok, true);
  assert.equal(downSeen, true);
  assert.equal(health.report().ok, true);
});
