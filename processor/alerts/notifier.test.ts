// The notifier's pure parts: retry backoff, webhook bodies and email messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlertEventInput, AlertTransition } from '../../common/contracts/alert-event.js';
import { backoffMs, recordOutcome } from './notifier.js';
import { ErrorCodes, NetmonError } from '../../common/errors.js';
import { retryWhileRunning } from '../../common/retry.js';
import { emailMessage, webhookBody } from './channels.js';

function ev(transition: AlertTransition, over: Partial<AlertEventInput> = {}): AlertEventInput {
  return {
    id: `r1:d1:1:${transition}:1000`, ruleId: 'r1', deviceId: 'd1', ifIndex: 1, ifName: 'eth0', state: transition === 'resolved' ? 'resolved' : 'firing', transition,
    severity: 'critical', metric: 'in_bps', value: 150, threshold: 100, clearThreshold: 80, comparator: '>', windowStart: 1000, windowRevision: 0, coverage: 1,
    ts: 61_000, firingSince: 1000, flapping: false, channels: ['ops'], message: 'FIRING r1 on d1 eth0: in_bps 150 > 100', ...over,
  };
}

test('backoff doubles from the initial wait up to the maximum', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 1000, 10_000)), [1000, 2000, 4000, 8000, 10_000, 10_000]);
});

test('webhook bodies: JSON carries the event and its id; slack is a {text} body', () => {
  const e = ev('firing');
  assert.deepEqual(webhookBody({ channel: 'ops', event: e }, 'json'), { kind: 'netmon-alert', channel: 'ops', id: e.id, event: e });
  assert.deepEqual(webhookBody({ channel: 'ops', event: e }, 'slack'), { text: '[critical] FIRING r1 on d1 eth0: in_bps 150 > 100', netmon_alert_id: e.id });
});

test('email: subject names the transition, rule and scope; the id is in a header and the text', () => {
  const m = emailMessage({ channel: 'mail', event: ev('firing') }, { type: 'email', host: '127.0.0.1', port: 25, secure: false, from: 'netmon@example.org', to: ['ops@example.org'], timeoutMs: 1000 });
  assert.equal(m.subject, '[netmon critical] FIRING r1 on d1 eth0');
  assert.equal(m.headers['X-Netmon-Alert-Id'], 'r1:d1:1:firing:1000');
  assert.match(m.text, /metric: {6}in_bps = 150 \(threshold > 100, clear at 80\)/);
});

test('recordOutcome: a store away is retried until it takes the outcome; one refused for good is reported and does not block', async () => {
  const log = () => undefined;
  const noWait = () => Promise.resolve();
  let calls = 0;
  const flaky = () => retryWhileRunning('w', () => (++calls < 3 ? Promise.reject(new NetmonError(ErrorCodes.INFLUX, 'down', { retriable: true })) : Promise.resolve()), { isRunning: () => true, log, sleep: noWait, rethrowPermanent: true });
  const told: unknown[] = [];
  assert.equal(await recordOutcome(flaky, (e) => told.push(e)), true);
  assert.equal(calls, 3, 'retried until written');
  assert.equal(told.length, 0);
  let refusedCalls = 0;
  const refused = () => retryWhileRunning('w', () => (refusedCalls++, Promise.reject(new NetmonError(ErrorCodes.SINK_REJECTED, 'HTTP 400'))), { isRunning: () => true, log, sleep: noWait, rethrowPermanent: true });
  assert.equal(await recordOutcome(refused, (e) => told.push(e)), true, 'goes on');
  assert.equal(refusedCalls, 1, 'not retried');
  assert.equal(told.length, 1);
  const stopped = () => retryWhileRunning('w', () => Promise.reject(new Error('ECONNREFUSED')), { isRunning: () => false, log, sleep: noWait, rethrowPermanent: true });
  assert.equal(await recordOutcome(stopped, (e) => told.push(e)), false, 'stopped before an outcome was recorded');
});
