// The configuration reference is generated from the schema's descriptions: every field has one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configReference } from './config-reference.js';

test('every field of the schema has a description (the config reference is generated from them)', () => {
  const ref = configReference();
  const rows = ref.split('\n').filter((l) => l.startsWith('| `'));
  assert.ok(rows.length > 25, `reference has ${rows.length} rows`);
  for (const row of rows) assert.doesNotMatch(row, /\| \|$/, `undocumented: ${row}`);
});
