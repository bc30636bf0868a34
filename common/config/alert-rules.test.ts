import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../package-root.js';
import { ConfigError } from '../errors.js';
import { loadAlertRules, loadAlertRulesFile, parseAlertRules } from './alert-rules.js';
import { validate } from './load.js';
import { netmonConfigSchema } from './schema.js';

test('config/alerts.yaml loads', () => {
  const rules = loadAlertRulesFile(join(repoRoot(), 'config', 'alerts.yaml'), []);
  assert.ok(rules.length >= 1);
  assert.ok(Object.isFrozen(rules));
});

const good = 'rules:\n  - id: a\n    metric: in_bps\n    threshold: 10\n';
const bad: Array<{ name: string; yaml: string; expect: RegExp }> = [
  { name: 'a threshold that is not a number', yaml: `${good}  - id: b\n    metric: in_bps\n    threshold: 1\n  - id: c\n    metric: in_bps\n    threshold: lots\n`, expect: /^alerts\.yaml: rules\[2\]\.threshold: .*expected number/ },
  { name: 'an unknown key', yaml: 'rules:\n  - id: a\n    metric: in_bps\n    threshold: 1\n    treshold: 2\n', expect: /alerts\.yaml: rules\[0\]\.treshold: unknown key "treshold"; allowed keys here: id, description/ },
  { name: 'an unknown metric', yaml: 'rules:\n  - id: a\n    metric: bps\n    threshold: 1\n', expect: /alerts\.yaml: rules\[0\]\.metric: .*in_bps/ },
  { name: 'a clear threshold on the wrong side', yaml: 'rules:\n  - id: a\n    metric: in_bps\n    threshold: 10\n    clearThreshold: 20\n', expect: /rules\[0\]\.clearThreshold: must be <= threshold \(10\) for comparator ">"/ },
  { name: 'a duplicate id', yaml: `${good}  - id: a\n    metric: out_bps\n    threshold: 1\n`, expect: /rules\[1\]\.id: duplicate rule id "a" \(also rules\[0\]\)/ },
  { name: 'an unknown channel', yaml: 'rules:\n  - id: a\n    metric: in_bps\n    threshold: 1\n    channels: [ops, pager]\n', expect: /rules\[0\]\.channels\[1\]: unknown channel "pager"; defined in netmon.yaml alerts.channels: ops/ },
  { name: 'a bad interface pattern', yaml: 'rules:\n  - id: a\n    metric: in_bps\n    threshold: 1\n    scope: { interfaces: ["eth(" ] }\n', expect: /rules\[0\]\.scope\.interfaces\[0\]: must be a valid regular expression/ },
  { name: 'forWindows 0', yaml: 'rules:\n  - id: a\n    metric: in_bps\n    threshold: 1\n    forWindows: 0\n', expect: /rules\[0\]\.forWindows: / },
  { name: 'not YAML', yaml: 'rules: [\n', expect: /alerts\.yaml: not valid YAML/ },
];

for (const c of bad) {
  test(`alert rules: ${c.name} is rejected with the path named`, () => {
    assert.throws(() => parseAlertRules(c.yaml, 'alerts.yaml', ['ops']), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.message, c.expect);
      return true;
    });
  });
}

test('alert rules: defaults are filled in', () => {
  const [r] = parseAlertRules(good, 'alerts.yaml', []);
  assert.equal(r.forWindows, 1);
  assert.equal(r.comparator, '>');
  assert.equal(r.minCoverage, 0.5);
  assert.deepEqual(r.scope, { devices: [], tags: [], interfaces: [], target: 'interface' });
});

test('netmon.yaml alerts section: channels and retry settings are validated with the path named', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ alerts: { channels: { hook: { type: 'pager', url: 'http://127.0.0.1/' } } } }, /x\.yaml: alerts\.channels\.hook\.type: type must be one of "webhook", "email"/],
    [{ alerts: { channels: { hook: { type: 'webhook', url: 'ftp://127.0.0.1/' } } } }, /x\.yaml: alerts\.channels\.hook\.url: /],
    [{ alerts: { channels: { mail: { type: 'email', host: 'h', from: 'a@b', to: [] } } } }, /x\.yaml: alerts\.channels\.mail\.to: /],
    [{ alerts: { initialBackoffMs: 5000, maxBackoffMs: 1000 } }, /x\.yaml: alerts\.maxBackoffMs: must be >= initialBackoffMs \(5000\)/],
  ];
  for (const [raw, expect] of bad) assert.throws(() => validate(netmonConfigSchema, raw, 'x.yaml'), expect);
  const ok = validate(netmonConfigSchema, { alerts: { channels: { mail: { type: 'email', host: '127.0.0.1', from: 'a@b.c', to: ['x@y.z'], password: 's3cret' } } } }, 'x.yaml');
  assert.equal(String(ok.alerts.channels.mail.type === 'email' ? ok.alerts.channels.mail.password : ''), '<secret>');
});

test('the default rules file is optional; a named one must exist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-rules-'));
  const configPath = join(dir, 'netmon.yaml');
  const config = (raw: object) => validate(netmonConfigSchema, raw, 'netmon.yaml');
  assert.deepEqual(loadAlertRules(config({}), configPath), { rules: [], file: join(dir, 'alerts.yaml') }, 'no alerts.yaml beside the config: no rules');
  assert.throws(() => loadAlertRules(config({ alerts: { rulesFile: 'rules.yaml' } }), configPath), /cannot read alert rules file .*rules\.yaml/);
  writeFileSync(join(dir, 'alerts.yaml'), 'rules:\n  - { id: hot, metric: in_bps, comparator: ">", threshold: 5 }\n');
  assert.deepEqual(loadAlertRules(config({}), configPath).rules.map((r) => r.id), ['hot'], 'alerts.yaml beside the config is read');
  assert.deepEqual(loadAlertRules(config({ alerts: { rulesFile: '' } }), configPath), { rules: [], file: null }, 'rulesFile "": no rules, nothing to administer');
});
