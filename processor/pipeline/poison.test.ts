import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planAttempt, poisonReason } from './poison.js';

test('attempts run in batches below the bound, record by record at it, and the record that stopped that one is poison', () => {
  const cases: Array<{ name: string; tries: number; max: number; want: ReturnType<typeof planAttempt> }> = [
    { name: 'clean commit, first attempt', tries: 0, max: 3, want: { tries: 1, mode: 'batch', poison: false } },
    { name: 'one stop so far', tries: 1, max: 3, want: { tries: 2, mode: 'batch', poison: false } },
    { name: 'the last attempt isolates', tries: 2, max: 3, want: { tries: 3, mode: 'single', poison: false } },
    { name: 'stopped while alone with a record', tries: 3, max: 3, want: { tries: 3, mode: 'single', poison: true } },
    { name: 'a higher count (bound lowered since) is poison too', tries: 7, max: 3, want: { tries: 3, mode: 'single', poison: true } },
    { name: 'bound 2: one batch attempt', tries: 1, max: 2, want: { tries: 2, mode: 'single', poison: false } },
  ];
  for (const c of cases) assert.deepEqual(planAttempt(c.tries, c.max), c.want, c.name);
});

test('a crash loop ends: following the plan from a clean commit reaches poison in maxRecordAttempts restores', () => {
  for (const max of [2, 3, 5]) {
    let tries = 0;
    let restores = 0;
    for (;;) {
      const plan = planAttempt(tries, max);
      restores++;
      if (plan.poison) break;
      tries = plan.tries; // the marker was committed, then the processor stopped
      assert.ok(restores <= max + 1, 'bounded');
    }
    assert.equal(restores, max + 1, `max ${max}: ${max} attempts, then the restore that dead-letters`);
  }
});

test('the poison reason names the reason prefix and the config key', () => {
  assert.match(poisonReason(3, 3), /^poison: .*processor\.maxRecordAttempts 3/);
});
