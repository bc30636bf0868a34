import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFetchClock } from './fetch-clock.js';

test('fetch clock: the first fetch and a steady rhythm are no outage; idle time may count', () => {
  const c = createFetchClock({ gapMs: 5_000, graceMs: 15_000 });
  assert.equal(c.lastFetchAt(), -Infinity);
  assert.ok(c.settled(0));
  for (let t = 1_000; t <= 20_000; t += 1_000) c.fetched(t);
  assert.equal(c.lastFetchAt(), 20_000);
  assert.ok(c.settled(20_000));
});

test('fetch clock: after a pause longer than the gap, idle time counts only once the grace has passed', () => {
  const c = createFetchClock({ gapMs: 5_000, graceMs: 15_000 });
  c.fetched(1_000);
  c.fetched(2_000);
  // The broker is away 20 s; fetching resumes at 22 s.
  c.fetched(22_000);
  assert.ok(!c.settled(22_000));
  c.fetched(23_000);
  assert.ok(!c.settled(36_999), 'still in the grace: producers may not have resent their backlog');
  assert.ok(c.settled(37_000));
  // A pause of exactly the gap is no outage.
  c.fetched(28_000);
  assert.ok(c.settled(40_000));
});

test('fetch clock: a clock that steps back does not move the last fetch back', () => {
  const c = createFetchClock({ gapMs: 5_000, graceMs: 15_000 });
  c.fetched(10_000);
  c.fetched(9_000);
  assert.equal(c.lastFetchAt(), 10_000);
  assert.ok(c.settled(10_000));
});

test('fetch clock: a long batch between two fetches is work, not an outage', () => {
  const c = createFetchClock({ gapMs: 5_000, graceMs: 15_000 });
  c.fetched(1_000);
  // The batch of that fetch took 9 s (a slow sink); the next fetch follows it at once.
  c.fetched(10_500, 10_000);
  assert.ok(c.settled(10_500));
  // The same pause with the batch done early is an outage.
  c.fetched(20_000, 11_000);
  assert.ok(!c.settled(20_000));
});
