// The echo tracker's verdicts, case by case: own records, a remote record before or after own ones, failed sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEchoTracker, type EchoVerdict } from './echo-tracker.js';

type Step = ['send', string] | ['fail', string] | ['read', string, boolean, EchoVerdict];

const cases: { name: string; steps: Step[] }[] = [
  { name: 'a remote record with nothing in flight applies', steps: [['read', 'k', false, 'apply']] },
  { name: 'a remote record read before the own one is behind it', steps: [['send', 'k'], ['read', 'k', false, 'behind-own'], ['read', 'k', true, 'own'], ['read', 'k', false, 'apply']] },
  { name: 'two own records in flight: the remote one between them is still behind', steps: [['send', 'k'], ['send', 'k'], ['read', 'k', true, 'own'], ['read', 'k', false, 'behind-own'], ['read', 'k', true, 'own'], ['read', 'k', false, 'apply']] },
  { name: 'keys are independent', steps: [['send', 'a'], ['read', 'b', false, 'apply'], ['read', 'a', false, 'behind-own'], ['read', 'a', true, 'own']] },
  { name: 'a failed send is not waited for', steps: [['send', 'k'], ['fail', 'k'], ['read', 'k', false, 'apply']] },
];

for (const c of cases) {
  void test(`echo tracker: ${c.name}`, () => {
    const t = createEchoTracker();
    for (const s of c.steps) {
      if (s[0] === 'send') t.sending([s[1]]);
      else if (s[0] === 'fail') t.failed([s[1]]);
      else assert.equal(t.seen(s[1], s[2]), s[3], `read ${s[1]} own=${s[2]}`);
    }
    assert.equal(t.inFlight(), 0);
  });
}
