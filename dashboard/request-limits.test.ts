// Tests of the JSON depth scan: strings (with escapes) do not count, it stops early, and a
// 20,000-deep text costs a scan, not a stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonDepth } from './request-limits.js';

void test('jsonDepth', () => {
  const cases: Array<[string, number]> = [
    ['1', 0],
    ['{}', 1],
    ['{"a":[1,{"b":[]}]}', 4],
    ['{"a":"[[[[{{{{"}', 1],
    ['{"a":"\\"[[["}', 1],
    ['[[],[],[[]]]', 3],
    ['"\\\\"', 0],
  ];
  for (const [text, want] of cases) assert.equal(jsonDepth(text, 100), want, text);
});

void test('jsonDepth stops one past the limit, whatever the depth', () => {
  const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
  assert.equal(jsonDepth(deep, 32), 33);
  assert.equal(jsonDepth(`${'{"a":'.repeat(32)}1${'}'.repeat(32)}`, 32), 32);
});
