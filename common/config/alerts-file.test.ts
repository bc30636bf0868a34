// Tests of the editable alert rules file: one rule validated like the file (field named), edits that
// keep comments and untouched rules, and compact new entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, InputError } from '../errors.js';
import { alertRuleSchema } from './alerts-schema.js';
import { alertRulesFilePath, compactRule, parseRulesText, removeRuleIn, setRuleIn, validateRule } from './alerts-file.js';
import { netmonConfigSchema as configSchema } from './schema.js';

const TEXT = `# Lab alert rules
rules:
  # the uplink
  - id: hot
    metric: in_bps
    threshold: 1000000   # 1 Mbit/s
    channels: [ops]
  - id: errs
    metric: in_errors_ps
    threshold: 5
`;

const fieldOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    return `${err.field}: ${err.problem}`;
  }
  assert.fail('no error');
};

void test('validateRule names the field, cross-field checks and channels included', () => {
  assert.match(fieldOf(() => validateRule({ id: 'a', metric: 'in_bps', threshold: 'high' }, [])), /^threshold: /);
  assert.match(fieldOf(() => validateRule({ id: 'a', metric: 'in_bps', threshold: 10, clearThreshold: 20 }, [])), /^clearThreshold: must be <= threshold \(10\)/);
  assert.match(fieldOf(() => validateRule({ id: 'a', metric: 'device_unreachable', threshold: 0 }, [])), /^scope\/target: must be "device"/);
  assert.match(fieldOf(() => validateRule({ id: 'a', metric: 'in_bps', threshold: 1, channels: ['ops', 'pager'] }, ['ops'])), /^channels\/1: unknown channel "pager"/);
  assert.match(fieldOf(() => validateRule({ id: 'a', metric: 'in_bps', threshold: 1, colour: 'red' }, [])), /^colour: unknown key "colour"/);
  assert.match(fieldOf(() => validateRule({ id: 'a', metric: 'bogus', threshold: 1 }, [])), /^metric: /);
  assert.match(fieldOf(() => validateRule({ metric: 'in_bps', threshold: 1 }, [])), /^id: /);
  assert.equal(validateRule({ id: 'a', metric: 'in_bps', threshold: 1, channels: ['ops'] }, ['ops']).forWindows, 1);
});

void test('parseRulesText validates the whole file and names file and path', () => {
  assert.deepEqual(parseRulesText(TEXT, 'alerts.yaml', ['ops']).rules.map((r) => r.id), ['hot', 'errs']);
  assert.throws(() => parseRulesText(TEXT, 'alerts.yaml', []), (err: unknown) => err instanceof ConfigError && /alerts\.yaml: rules\[0\]\.channels\[0\]: unknown channel "ops"/.test(err.message));
  assert.throws(() => parseRulesText('rules: [', 'alerts.yaml', []), /alerts\.yaml: not valid YAML/);
});

void test('setRuleIn changes only the changed keys and keeps comments; new rules are compact; removeRuleIn', () => {
  const { doc, rules } = parseRulesText(TEXT, 'alerts.yaml', ['ops']);
  setRuleIn(doc, { ...rules[0], threshold: 2_000_000, severity: 'critical' }, rules[0]);
  setRuleIn(doc, alertRuleSchema.parse({ id: 'down', metric: 'oper_down', threshold: 0, scope: { interfaces: ['eth.*'] } }), undefined);
  assert.equal(removeRuleIn(doc, 'errs'), true);
  assert.equal(removeRuleIn(doc, 'nope'), false);
  const text = doc.toString();
  assert.match(text, /# Lab alert rules/);
  assert.match(text, /# the uplink/);
  assert.match(text, /threshold: 2000000/);
  assert.match(text, /severity: critical/);
  assert.doesNotMatch(text, /errs/);
  const again = parseRulesText(text, 'alerts.yaml', ['ops']).rules;
  assert.deepEqual(again.map((r) => r.id), ['hot', 'down']);
  assert.deepEqual(again[1].scope.interfaces, ['eth.*']);
  // The new entry holds what differs from the defaults only.
  assert.deepEqual(compactRule(again[1]), { id: 'down', metric: 'oper_down', threshold: 0, scope: { interfaces: ['eth.*'] } });
});

void test('setRuleIn creates the rules list in an empty document', () => {
  const { doc } = parseRulesText('', 'alerts.yaml', []);
  setRuleIn(doc, alertRuleSchema.parse({ id: 'a', metric: 'in_bps', threshold: 1 }), undefined);
  assert.deepEqual(parseRulesText(doc.toString(), 'alerts.yaml', []).rules.map((r) => r.id), ['a']);
});

void test('alertRulesFilePath resolves like loadAlertRules', () => {
  const base = configSchema.parse({});
  assert.equal(alertRulesFilePath(base, '/etc/netmon/netmon.yaml'), '/etc/netmon/alerts.yaml');
  assert.equal(alertRulesFilePath(configSchema.parse({ alerts: { rulesFile: 'r/x.yaml' } }), '/etc/netmon/netmon.yaml'), '/etc/netmon/r/x.yaml');
  assert.equal(alertRulesFilePath(configSchema.parse({ alerts: { rulesFile: '' } }), '/etc/netmon/netmon.yaml'), null);
  assert.equal(alertRulesFilePath(base, null), null);
});
