import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { parseRulesText } from './alerts-file.js';
import { parseDevicesText } from './devices-file.js';
import { loadConfig } from './load.js';
import { MAX_YAML_DEPTH, parseYamlText } from './yaml-text.js';

const flow = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
/** A block mapping nested n levels, one key per level. */
const block = (n: number) => Array.from({ length: n }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' 1\n';

void test('parseYamlText: nesting up to the bound parses; one level more is an error with its line', () => {
  assert.deepEqual(parseYamlText(`a:\n  b: ${flow(MAX_YAML_DEPTH - 2)}\n`).errors, []);
  const doc = parseYamlText(`a:\n  b: ${flow(MAX_YAML_DEPTH - 1)}\n`);
  assert.equal(doc.errors.length, 1);
  assert.match(doc.errors[0].message, new RegExp(`^nested deeper than ${MAX_YAML_DEPTH} levels at line 2, column \\d+$`));
  assert.equal(doc.errors[0].linePos?.[0].line, 2);
  assert.equal(parseYamlText(block(MAX_YAML_DEPTH)).errors.length, 0);
  assert.match(parseYamlText(block(MAX_YAML_DEPTH + 1)).errors[0]?.message ?? '', /nested deeper than 64 levels at line 65/);
});

void test('parseYamlText: a text too deep for the parser itself is named for what it is, not a stack overflow', () => {
  const doc = parseYamlText(`devices:\n  - ${flow(20_000)}\n`);
  assert.ok(doc.errors.length > 0);
  assert.ok(doc.errors.every((e) => !e.message.includes('Maximum call stack')), doc.errors.map((e) => e.message).join('; '));
  assert.match(doc.errors[0].message, /nested deeper than 64 levels/);
});

void test('every YAML reader reports a deep text as its own error type, naming the line', () => {
  const deep = `devices:\n  - id: r1\n    host: h\n    tags: ${flow(200)}\n`;
  assert.throws(() => parseDevicesText(deep, 'devices.yaml', {}), (e: unknown) => e instanceof ConfigError && /devices\.yaml:4/.test(e.message) && /nested deeper/.test(e.message));
  assert.throws(() => parseRulesText(`rules: ${flow(5_000)}\n`, 'alerts.yaml', []), (e: unknown) => e instanceof ConfigError && /alerts\.yaml: not valid YAML: nested deeper/.test(e.message));
  const dir = mkdtempSync(join(tmpdir(), 'netmon-yaml-'));
  const file = join(dir, 'netmon.yaml');
  writeFileSync(file, `kafka:\n  brokers: ${flow(100)}\n`);
  assert.throws(() => loadConfig(file, {}), (e: unknown) => e instanceof ConfigError && /not valid YAML: nested deeper than 64 levels at line 2/.test(e.message));
});
