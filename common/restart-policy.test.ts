import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs, checkRestartPolicy, decideRestart, type RestartPolicy } from './restart-policy.js';

const policy: RestartPolicy = { maxRestarts: 3, windowMs: 60_000, baseDelayMs: 1_000, maxDelayMs: 5_000 };

test('backoff doubles from the base and stops at the cap', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map((a) => backoffMs(policy, a)), [1_000, 2_000, 4_000, 5_000, 5_000]);
});

const cases: Array<{ name: string; history: number[]; now: number; want: ReturnType<typeof decideRestart> }> = [
  { name: 'a first failure restarts after the base delay', history: [], now: 100_000, want: { decision: { action: 'restart', attempt: 1, delayMs: 1_000 }, history: [100_000] } },
  { name: 'failures inside the window raise the attempt and the wait', history: [50_000, 70_000], now: 100_000, want: { decision: { action: 'restart', attempt: 3, delayMs: 4_000 }, history: [50_000, 70_000, 100_000] } },
  { name: 'one failure more than maxRestarts in the window gives up', history: [50_000, 60_000, 70_000], now: 100_000, want: { decision: { action: 'give-up', failures: 4 }, history: [50_000, 60_000, 70_000, 100_000] } },
  { name: 'failures that left the window are forgotten', history: [10_000, 20_000, 30_000, 90_000], now: 100_000, want: { decision: { action: 'restart', attempt: 2, delayMs: 2_000 }, history: [90_000, 100_000] } },
  { name: 'a failure exactly one window ago is outside it', history: [40_000], now: 100_000, want: { decision: { action: 'restart', attempt: 1, delayMs: 1_000 }, history: [100_000] } },
];
for (const c of cases) test(`decideRestart: ${c.name}`, () => assert.deepEqual(decideRestart(policy, c.history, c.now), c.want));

test('maxRestarts 0: the first failure gives up', () => {
  assert.equal(decideRestart({ ...policy, maxRestarts: 0 }, [], 1).decision.action, 'give-up');
});

test('a policy with a bad field is refused, naming it', () => {
  assert.throws(() => checkRestartPolicy({ ...policy, maxRestarts: 1.5 }), /maxRestarts/);
  assert.throws(() => checkRestartPolicy({ ...policy, windowMs: Number.NaN }), /windowMs/);
  assert.doesNotThrow(() => checkRestartPolicy(policy));
});
