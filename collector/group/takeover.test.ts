// The takeover guard: partitions new to a member wait after trouble (a broker outage, members dropped
// by the coordinator) until their old owner must have stopped; partitions it already polled, and any
// partition in a clean handover, are polled at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTakeoverGuard, groupRetryWaitMs, takeoverWaitMs } from './takeover.js';

const WAIT = 19_500;

test('the wait is the old owner’s longest way to learn it lost its share: session timeout, retry wait, connection timeout and one heartbeat', () => {
  assert.equal(takeoverWaitMs({ sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 }, { maxRetryWaitMs: 10_000, connectionTimeoutMs: 3000 }), WAIT);
  assert.equal(takeoverWaitMs({ sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 }, { maxRetryWaitMs: 10_000, connectionTimeoutMs: 3000 }), 24_000);
});

const cases: Array<{ name: string; trouble: number | null; before: number[]; at: number; next: number[]; now: number[]; until: number }> = [
  { name: 'no trouble seen: a clean handover, everything at once', trouble: null, before: [0, 1], at: 50_000, next: [0, 1, 2, 3], now: [0, 1, 2, 3], until: 0 },
  { name: 'after trouble: new partitions wait, those it polled go on', trouble: 10_000, before: [0, 1], at: 16_000, next: [1, 2, 3], now: [1], until: 10_000 + WAIT },
  { name: 'trouble long enough ago: nothing waits', trouble: 10_000, before: [0], at: 10_000 + WAIT, next: [0, 5], now: [0, 5], until: 0 },
  { name: 'a first assignment after trouble: everything waits', trouble: 1000, before: [], at: 7000, next: [4, 5], now: [], until: 1000 + WAIT },
];
for (const c of cases)
  test(c.name, () => {
    const g = createTakeoverGuard(WAIT);
    assert.equal(g.assign(0, c.before), 0, 'no trouble yet: the first share is polled at once');
    if (c.trouble !== null) g.unclean(c.trouble);
    assert.equal(g.assign(c.at, c.next), c.until);
    assert.deepEqual(
      c.next.filter((p) => g.mayPoll(c.at, p)),
      c.now,
    );
    assert.equal(g.waitingUntil(c.at), c.until);
    assert.equal(g.mayPoll(c.at, 9), false, 'not assigned');
    if (c.until > 0) {
      assert.deepEqual(
        c.next.filter((p) => g.mayPoll(c.until - 1, p)),
        c.now,
        'still waiting a moment before',
      );
      assert.deepEqual(
        c.next.filter((p) => g.mayPoll(c.until, p)),
        c.next,
        'all polled once the wait is over',
      );
      assert.equal(g.waitingUntil(c.until), 0);
    }
  });

test('a partition still waiting when the next rebalance gives it again keeps waiting (it was not polled yet)', () => {
  const g = createTakeoverGuard(WAIT);
  g.assign(0, [0]);
  g.unclean(10_000);
  assert.equal(g.assign(16_000, [0, 1]), 10_000 + WAIT);
  // Another member joins: a clean rebalance, but partition 1 was never polled here.
  assert.equal(g.assign(18_000, [1, 2]), 10_000 + WAIT);
  assert.equal(g.mayPoll(18_000, 1), false);
  assert.equal(g.mayPoll(18_000, 2), false);
  // After the wait, the next assignment keeps what was polled meanwhile.
  assert.equal(g.assign(40_000, [1, 2, 3]), 0);
  assert.equal(g.mayPoll(40_000, 3), true);
});

test('later trouble moves the wait on; it never moves back', () => {
  const g = createTakeoverGuard(WAIT);
  g.assign(0, []);
  g.unclean(10_000);
  g.unclean(12_000);
  g.unclean(11_000);
  assert.equal(g.assign(13_000, [7]), 12_000 + WAIT);
});

test('the group consumer retries within a third of the session timeout, never above the client-wide wait', () => {
  assert.equal(groupRetryWaitMs({ sessionTimeoutMs: 6000 }, 10_000), 2000);
  assert.equal(groupRetryWaitMs({ sessionTimeoutMs: 10_000 }, 10_000), 3333);
  assert.equal(groupRetryWaitMs({ sessionTimeoutMs: 60_000 }, 10_000), 10_000);
});
