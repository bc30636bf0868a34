// The membership watch: a share is kept while heartbeats succeed and while the broker does not
// answer; it is held on the first answer of the broker once the share is in doubt (no heartbeat for a
// session timeout, or a consumer crash), whatever the group looks like, and resumes only on an
// assignment or a heartbeat of the same member.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMembershipWatch, crashedUnreachable, heldTooLong, type GroupView } from './membership.js';

const opts = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 };
const down: GroupView = { reachable: false };
const stable = (...members: string[]): GroupView => ({ reachable: true, state: 'Stable', members });

const cases: Array<{ name: string; view: GroupView; hold: boolean }> = [
  { name: 'the broker does not answer (an outage): keep polling', view: down, hold: false },
  // The coordinator loaded the group with this member's old session and expires it a moment later.
  { name: 'the group is stable with this member in it: hold all the same', view: stable('m1', 'm2'), hold: true },
  { name: 'the group is stable without this member (its session expired): hold', view: stable('m2', 'm3'), hold: true },
  { name: 'the group is rebalancing: hold', view: { reachable: true, state: 'PreparingRebalance', members: ['m1'] }, hold: true },
  { name: 'the group is empty (every session expired): hold', view: { reachable: true, state: 'Empty', members: [] }, hold: true },
];
for (const c of cases)
  test(`in doubt after a session timeout without heartbeat; ${c.name}`, () => {
    const m = createMembershipWatch(opts, 0);
    m.joined(1000, 'm1');
    m.heartbeat(1500, 'm1');
    assert.equal(m.inDoubt(1500 + 5000), false, 'a heartbeat within the session');
    assert.equal(m.probed(1500 + 5000, stable('m2')), false, 'not in doubt: nothing to hold');
    assert.equal(m.inDoubt(1500 + 5600), true, 'no heartbeat for a session timeout less one interval');
    assert.equal(m.probed(7200, c.view), c.hold);
    assert.equal(m.orphaned(), c.hold);
    // A probe never confirms: still in doubt unless held.
    assert.equal(m.inDoubt(7300), !c.hold);
    m.joined(9000, 'm4');
    assert.equal(m.orphaned(), false);
    assert.equal(m.inDoubt(9000 + 5000), false);
  });

test('nothing is in doubt before the first assignment, and a heartbeat keeps the share', () => {
  const m = createMembershipWatch(opts, 0);
  assert.equal(m.inDoubt(60_000), false, 'no share yet');
  assert.equal(m.answered(60_000), false, 'no share to hold');
  m.joined(60_000, 'm1');
  for (let t = 60_000; t < 120_000; t += 500) {
    assert.equal(m.heartbeat(t, 'm1'), false);
    assert.equal(m.answered(t), false, 'answers while heartbeats succeed hold nothing');
  }
  assert.equal(m.inDoubt(120_000), false);
  assert.equal(m.inDoubt(126_000), true);
  assert.equal(m.probed(126_000, down), false, 'an outage keeps it');
  assert.equal(m.inDoubt(126_500), true, 'still in doubt: probe again');
  assert.equal(m.heartbeat(127_000, 'm1'), false, 'a heartbeat ends the doubt (nothing held, nothing to resume)');
  assert.equal(m.inDoubt(127_100), false);
});

test('the first answer of the broker after an outage holds the share: the old session may be given away a session timeout after the coordinator is back', () => {
  const m = createMembershipWatch(opts, 0);
  m.joined(0, 'm1');
  m.heartbeat(500, 'm1');
  // The broker dies at 1000; the probes see nothing until it is back at 20 000.
  for (let t = 7000; t < 20_000; t += 500) assert.equal(m.probed(t, down), false, `keep polling at ${t}`);
  assert.equal(m.answered(20_100), true, 'any response (an error response too) holds');
  assert.equal(m.orphaned(), true);
  assert.equal(m.answered(20_200), false, 'held once');
  assert.equal(m.heartbeat(21_000, 'm2'), false, 'a heartbeat of another member id resumes nothing');
  assert.equal(m.orphaned(), true);
});

test('a held share resumes when a heartbeat of the same member succeeds (the member was never dropped)', () => {
  const m = createMembershipWatch(opts, 0);
  m.joined(0, 'm1');
  assert.equal(m.answered(6000), true);
  assert.equal(m.heartbeat(6500, 'm1'), true, 'resume');
  assert.equal(m.orphaned(), false);
  assert.equal(m.inDoubt(7000), false);
  assert.equal(m.heartbeat(7000, 'm1'), false, 'already resumed');
});

test('a crash puts the share in doubt at once: held when the broker answered it, kept while the broker is unreachable', () => {
  const reachable = createMembershipWatch(opts, 0);
  reachable.joined(0, 'm1');
  assert.equal(reachable.crashed(1000, false), true, 'kafkajs left the group: the others may be given the share now');
  assert.equal(reachable.orphaned(), true);

  const unreachable = createMembershipWatch(opts, 0);
  unreachable.joined(0, 'm1');
  assert.equal(unreachable.crashed(1000, true), false, 'an outage: keep polling');
  assert.equal(unreachable.inDoubt(1000), true, 'in doubt at once, not a session timeout later');
  assert.equal(unreachable.heartbeat(1200, 'm1'), false, 'the crashed member id never comes back');
  assert.equal(unreachable.inDoubt(1300), true);
  assert.equal(unreachable.probed(1500, down), false);
  assert.equal(unreachable.answered(2000), true, 'the broker answers: hold');
  unreachable.joined(9000, 'm2');
  assert.equal(unreachable.inDoubt(9100), false, 'a new assignment ends it');

  const before = createMembershipWatch(opts, 0);
  assert.equal(before.crashed(1000, false), false, 'no share yet: nothing to hold');
  assert.equal(before.inDoubt(1000), false);
});

test('crashes from a broker that does not answer are told apart from error answers, through the causes kafkajs wraps them in', () => {
  const named = (name: string, message: string, cause?: Error) => Object.assign(new Error(message, { cause }), { name });
  assert.equal(crashedUnreachable(named('KafkaJSNumberOfRetriesExceeded', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092')), true);
  assert.equal(crashedUnreachable(named('KafkaJSNonRetriableError', 'retries exceeded', named('KafkaJSConnectionError', 'Connection error'))), true);
  assert.equal(crashedUnreachable(named('KafkaJSNoBrokerAvailableError', 'No broker available')), true);
  assert.equal(crashedUnreachable(named('KafkaJSNumberOfRetriesExceeded', 'x', named('KafkaJSRequestTimeoutError', 'Request Heartbeat(key: 12, version: 3) timed out'))), true);
  assert.equal(crashedUnreachable(named('KafkaJSProtocolError', 'Failed to find group coordinator')), false);
  assert.equal(crashedUnreachable(named('KafkaJSNonRetriableError', 'x', named('KafkaJSProtocolError', 'The coordinator is not aware of this member'))), false);
  assert.equal(crashedUnreachable('not an error'), false);
});

test('a share held for longer than any rebalance may take means a stuck group consumer', () => {
  assert.equal(heldTooLong(0, 1_000_000, opts), false, 'not held');
  assert.equal(heldTooLong(10_000, 10_000 + 4 * 6000, opts), false, 'the rebalance timeout (three session timeouts) and one more');
  assert.equal(heldTooLong(10_000, 10_001 + 4 * 6000, opts), true);
});
