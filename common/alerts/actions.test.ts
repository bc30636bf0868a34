import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlertEventInput, AlertTransition } from '../contracts/alert-event.js';
import { actionKey, AlertActions, notificationDecision, type Ack, type Silence } from './actions.js';

const NOW = 1_800_000_000_000;
function ev(transition: AlertTransition, over: Partial<AlertEventInput> = {}): AlertEventInput {
  return {
    id: `r1:d1:1:${transition}:1000`, ruleId: 'r1', deviceId: 'd1', ifIndex: 1, ifName: 'eth0', state: transition === 'resolved' ? 'resolved' : 'firing', transition,
    severity: 'critical', metric: 'in_bps', value: 150, threshold: 100, clearThreshold: 80, comparator: '>', windowStart: 1000, windowRevision: 0, coverage: 1,
    ts: 61_000, firingSince: 1000, flapping: false, channels: ['ops'], message: 'FIRING r1 on d1 eth0: in_bps 150 > 100', ...over,
  };
}
const ack = (firingSince: number): Ack => ({ kind: 'ack', ruleId: 'r1', deviceId: 'd1', ifIndex: 1, firingSince, note: 'on it', by: 'me', at: NOW });
const silence = (over: Partial<Silence>): Silence => ({ kind: 'silence', id: 's1', until: NOW + 60_000, note: 'maintenance', by: 'me', at: NOW, ...over });
function actions(...list: Array<Ack | Silence>): AlertActions {
  const a = new AlertActions();
  for (const x of list) a.apply(actionKey(x), JSON.stringify(x));
  return a;
}

const cases: Array<{ name: string; event: AlertEventInput; actions: AlertActions; expect: string }> = [
  { name: 'firing is notified', event: ev('firing'), actions: actions(), expect: 'notify' },
  { name: 'pending is not notified', event: ev('pending'), actions: actions(), expect: 'not-notified-transition' },
  { name: 'cancelled is not notified', event: ev('cancelled'), actions: actions(), expect: 'not-notified-transition' },
  { name: 'a repeat is notified without an ack', event: ev('repeat'), actions: actions(), expect: 'notify' },
  { name: 'an ack of the episode stops its repeats', event: ev('repeat'), actions: actions(ack(1000)), expect: 'acknowledged' },
  { name: 'an ack of an earlier episode does not', event: ev('repeat', { firingSince: 5000 }), actions: actions(ack(1000)), expect: 'notify' },
  { name: 'an ack does not stop the resolve', event: ev('resolved', { firingSince: null }), actions: actions(ack(1000)), expect: 'notify' },
  { name: 'a silence of the rule stops it', event: ev('firing'), actions: actions(silence({ ruleId: 'r1' })), expect: 'silenced' },
  { name: 'a silence of another device does not', event: ev('firing'), actions: actions(silence({ deviceId: 'd2' })), expect: 'notify' },
  { name: 'an expired silence does not', event: ev('firing'), actions: actions(silence({ until: NOW })), expect: 'notify' },
  { name: 'a silence matching all stops resolves too', event: ev('resolved'), actions: actions(silence({})), expect: 'silenced' },
];
for (const c of cases) {
  test(`notification decision: ${c.name}`, () => {
    const d = notificationDecision(c.event, c.actions, NOW);
    assert.equal(d.notify ? 'notify' : d.reason, c.expect);
  });
}

test('alert actions: a tombstone deletes, a key that does not match the action is rejected', () => {
  const a = actions(ack(1000));
  assert.equal(a.ackOf({ ruleId: 'r1', deviceId: 'd1', ifIndex: 1 })?.note, 'on it');
  a.apply('ack:r1|d1|1', null);
  assert.equal(a.ackOf({ ruleId: 'r1', deviceId: 'd1', ifIndex: 1 }), null);
  assert.throws(() => a.apply('ack:r1|d1|2', JSON.stringify(ack(1000))), /does not match/);
  assert.throws(() => a.apply('silence:x', '{"kind":"silence","id":"x"}'), /until/);
});
