// The alert rules file (config/alerts.yaml) as an editable document, for the dashboard's rules API:
// where it is (the file loadAlertRules reads), validating one rule with the file's own zod schema
// (cross-field checks and known channels included; the error names the field), and changing single
// rules in place with the `yaml` Document API (comments and the order of untouched rules survive).
// Writing is devices-file.ts's writeFileAtomic (temp file, fsync, rename).
import { dirname, resolve } from 'node:path';
import { isMap, isSeq, type Document } from 'yaml';
import { parseYamlText } from './yaml-text.js';
import { ConfigError, InputError } from '../errors.js';
import { formatPath } from '../contracts/codec.js';
import { alertRuleSchema, alertsFileSchema, type AlertRule } from './alerts-schema.js';
import type { NetmonConfig } from './schema.js';

/** The rules file loadAlertRules resolves (alerts.yaml beside the config file by default); null when rules cannot be administered (no config file, or `alerts.rulesFile: ""`). */
export function alertRulesFilePath(config: Pick<NetmonConfig, 'alerts'>, configPath: string | null): string | null {
  const named = config.alerts.rulesFile;
  if (!configPath || named === '') return null;
  return resolve(dirname(configPath), named ?? 'alerts.yaml');
}


const slashPath = (path: readonly PropertyKey[]) => path.map(String).join('/');

/** Validates one rule exactly as the file's schema would (plus: its channels must exist); an InputError's field is the path inside the rule, slash-separated (`scope/target`). */
export function validateRule(input: unknown, channelNames: readonly string[]): AlertRule {
  const parsed = alertRuleSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') throw new InputError(slashPath([...issue.path, issue.keys[0]]), `unknown key "${issue.keys[0]}"`);
    throw new InputError(slashPath(issue.path) || '(rule)', issue.message);
  }
  parsed.data.channels.forEach((c, j) => {
    if (!channelNames.includes(c)) throw new InputError(`channels/${j}`, `unknown channel "${c}"; defined in netmon.yaml alerts.channels: ${channelNames.join(', ') || '(none)'}`);
  });
  return parsed.data;
}

export interface RulesDocument {
  readonly doc: Document;
  readonly rules: AlertRule[];
}

/** Parses and validates a rules file's text; a problem is a ConfigError naming the file and path. */
export function parseRulesText(text: string, file: string, channelNames: readonly string[]): RulesDocument {
  const doc = parseYamlText(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(file, `not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const parsed = alertsFileSchema(channelNames).safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
    throw new ConfigError(`${file}: ${formatPath(path) || '(top level)'}`, issue.code === 'unrecognized_keys' ? `unknown key "${issue.keys[0]}"` : issue.message);
  }
  return { doc, rules: parsed.data.rules };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The rule as plain data without the values that are the schema's defaults (what a new file entry holds). */
export function compactRule(rule: AlertRule): Record<string, unknown> {
  const defaults = alertRuleSchema.parse({ id: rule.id, metric: rule.metric, threshold: rule.threshold, scope: { target: rule.scope.target } }) as unknown as Record<string, unknown>;
  const plain = JSON.parse(JSON.stringify(rule)) as Record<string, unknown>;
  for (const key of Object.keys(plain)) {
    if (key === 'id' || key === 'metric' || key === 'threshold' || key === 'scope') continue;
    if (same(plain[key], defaults[key])) delete plain[key];
  }
  const scope = plain.scope as Record<string, unknown>;
  for (const key of ['devices', 'tags', 'interfaces']) if (Array.isArray(scope[key]) && scope[key].length === 0) delete scope[key];
  if (scope.target === 'interface') delete scope.target;
  if (Object.keys(scope).length === 0) delete plain.scope;
  return plain;
}

function rulesSeq(doc: Document) {
  if (!isMap(doc.contents)) doc.contents = doc.createNode({ rules: [] });
  if (!isSeq(doc.getIn(['rules'], true))) doc.setIn(['rules'], doc.createNode([]));
  const seq = doc.getIn(['rules'], true);
  if (!isSeq(seq)) throw new Error('rules is not a sequence');
  return seq;
}

function indexOfRule(doc: Document, id: string): number {
  return rulesSeq(doc).items.findIndex((item) => isMap(item) && item.get('id') === id);
}

/**
 * Writes `rule` into the document: a new entry at the end, or, for an existing id, only the top-level
 * keys whose value changed from `previous` (so untouched keys keep their comments).
 */
export function setRuleIn(doc: Document, rule: AlertRule, previous: AlertRule | undefined): void {
  const seq = rulesSeq(doc);
  const i = indexOfRule(doc, rule.id);
  const next = compactRule(rule);
  if (i < 0 || !previous) {
    const node = doc.createNode(next);
    if (i < 0) seq.items.push(node);
    else seq.items[i] = node;
    return;
  }
  const prev = compactRule(previous);
  for (const key of new Set([...Object.keys(prev), ...Object.keys(next)])) {
    if (same(prev[key], next[key])) continue;
    if (next[key] === undefined) doc.deleteIn(['rules', i, key]);
    else doc.setIn(['rules', i, key], doc.createNode(next[key]));
  }
}

/** Removes the rule with this id; false when there is none. */
export function removeRuleIn(doc: Document, id: string): boolean {
  const i = indexOfRule(doc, id);
  if (i < 0) return false;
  rulesSeq(doc).items.splice(i, 1);
  return true;
}
