// The membership watch: a share is kept while heartbeats succeed and while the broker does not
// answer; it is held once the broker answers and the group no longer lists this member as stable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMembershipWatch, type GroupView } from './membership.js';

const opts = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 };
const down: GroupView = { reachable: false };
const stable = (...members: string[]): GroupView => ({ reachable: true, state: 'Stable', members });

const cases: Array<{ name: string; view: GroupView; hold: boolean }> = [
  { name: 'the broker does not answer (an outage): keep polling', view: down, hold: false },
  { name: 'the group is stable with this member in it: the share stands', view: stable('m1', 'm2'), hold: false },
  { name: 'the group is stable without this member (its session expired): hold', view: stable('m2', 'm3'), hold: true },
  { name: 'the group is rebalancing: hold', view: { reachable: true, state: 'PreparingRebalance', members: ['m1'] }, hold: true },
  { name: 'the group is empty (every session expired): hold', view: { reachable: true, state: 'Empty', members: [] }, hold: true },
];
for (const c of cases)
  test(`in doubt after a session timeout without heartbeat; ${c.name}`, () => {
    const m = createMembershipWatch(opts, 0);
    m.joined(1000, 'm1');
    m.heartbeat(1500);
    assert.equal(m.inDoubt(1500 + 5000), false, 'a heartbeat within the session');
    assert.equal(m.inDoubt(1500 + 5600), true, 'no heartbeat for a session timeout less one interval');
    assert.equal(m.probed(7200, c.view), c.hold);
    assert.equal(m.orphaned(), c.hold);
    // Once held, nothing but a new assignment ends it; a share that stands is confirmed again.
    assert.equal(m.inDoubt(7300), !c.hold && c.view.reachable ? false : !c.hold);
    m.joined(9000, 'm4');
    assert.equal(m.orphaned(), false);
    assert.equal(m.inDoubt(9000 + 5000), false);
  });

test('nothing is in doubt before the first assignment, and a heartbeat keeps the share', () => {
  const m = createMembershipWatch(opts, 0);
  assert.equal(m.inDoubt(60_000), false, 'no share yet');
  m.joined(60_000, 'm1');
  for (let t = 60_000; t < 120_000; t += 500) m.heartbeat(t);
  assert.equal(m.inDoubt(120_000), false);
  assert.equal(m.inDoubt(126_000), true);
  assert.equal(m.probed(126_000, down), false, 'an outage keeps it');
  assert.equal(m.inDoubt(126_500), true, 'still in doubt: probe again');
  assert.equal(m.probed(127_000, stable('m1')), false);
  assert.equal(m.inDoubt(127_100), false, 'confirmed by the probe');
});
