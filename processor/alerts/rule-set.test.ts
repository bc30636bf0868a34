// The processor's live rule set: config records applied, bad ones rejected with the field, and which
// alert states survive a rule change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import { initialCore, type ScopeState } from './evaluator.js';
import { createRuleSet, keepsState, keptStates } from './rule-set.js';

const rule = (over: Record<string, unknown>) => alertRuleSchema.parse({ id: 'hot', metric: 'in_bps', threshold: 100, ...over });
const change = (r: unknown) => ({ v: 1, kind: 'config-change' as const, ts: 1, rule: r as Record<string, unknown> });
const state = (ruleId: string, deviceId = 'sw1'): ScopeState => ({ key: `${ruleId}|${deviceId}|1`, ruleId, deviceId, ifIndex: 1, ifName: 'eth0', base: initialCore(), foldedUpTo: null, history: [], current: { ...initialCore(), phase: 'firing' } });

void test('rule records set, replace and remove rules; device records are not ours', () => {
  const set = createRuleSet([rule({})], ['ops']);
  assert.equal(set.apply('device:sw1', null), false);
  assert.equal(set.apply('rule:hot', change(rule({}))), false, 'the same rule again changes nothing');
  assert.equal(set.apply('rule:cold', change({ id: 'cold', metric: 'in_bps', comparator: '<', threshold: 5, channels: ['ops'] })), true);
  assert.equal(set.apply('rule:hot', change({ id: 'hot', metric: 'in_bps', threshold: 200 })), true);
  assert.deepEqual(set.rules().map((r) => `${r.id}:${r.threshold}`), ['hot:200', 'cold:5']);
  assert.equal(set.apply('rule:hot', null), true);
  assert.equal(set.apply('rule:hot', null), false);
  assert.deepEqual(set.rules().map((r) => r.id), ['cold']);
});

void test('a bad rule record is rejected naming the rule and field, and changes nothing', () => {
  const set = createRuleSet([rule({})], []);
  assert.throws(() => set.apply('rule:hot', change({ id: 'hot', metric: 'in_bps', threshold: 'x' })), /rule hot: threshold: /);
  assert.throws(() => set.apply('rule:hot', change({ id: 'hot', metric: 'in_bps', threshold: 1, channels: ['nope'] })), /rule hot: channels\/0: unknown channel "nope"/);
  assert.throws(() => set.apply('rule:hot', change({ id: 'other', metric: 'in_bps', threshold: 1 })), /rule hot: id: must be "hot"/);
  assert.throws(() => set.apply('bogus', null), /config key must be/);
  assert.equal(set.rules()[0].threshold, 100);
});

void test('states: a removed rule and a new metric or scope start fresh; other changes keep the state', () => {
  assert.equal(keepsState(rule({}), rule({ threshold: 500, clearThreshold: 50, forWindows: 3, severity: 'critical' })), true);
  assert.equal(keepsState(rule({}), rule({ metric: 'out_bps' })), false);
  assert.equal(keepsState(rule({}), rule({ scope: { devices: ['sw2'] } })), false);
  const before = [rule({}), rule({ id: 'pps', metric: 'in_pps' }), rule({ id: 'gone' })];
  const after = [rule({ threshold: 500 }), rule({ id: 'pps', metric: 'out_pps' }), rule({ id: 'new' })];
  const { kept, dropped } = keptStates(before, after, [state('hot'), state('hot', 'sw2'), state('pps'), state('gone')]);
  assert.deepEqual(kept.map((s) => s.key), ['hot|sw1|1', 'hot|sw2|1']);
  assert.deepEqual(dropped, ['pps|sw1|1', 'gone|sw1|1']);
});
