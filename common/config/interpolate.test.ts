// Tests of the one ${VAR} interpolation: references, defaults, `$$` as a literal `$`, and that a
// value escaped by escapeLiteral reads back exactly as it was, whatever it holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../errors.js';
import { escapeLiteral, escapeLiterals, interpolateString } from './interpolate.js';

const env = { HOST: '10.0.0.1', PORT: '1161', EMPTY: '', SECRET: 'hunter2' };

void test('interpolateString: references, defaults, $$ and whole-value numbers', () => {
  const cases: Array<{ name: string; in: string; out: unknown }> = [
    { name: 'no $', in: 'plain', out: 'plain' },
    { name: 'a reference', in: '${HOST}', out: '10.0.0.1' },
    { name: 'a whole reference that is a number', in: '${PORT}', out: 1161 },
    { name: 'inside text stays text', in: 'p${PORT}', out: 'p1161' },
    { name: 'default when unset', in: '${NOPE:-public}', out: 'public' },
    { name: 'default when empty', in: '${EMPTY:-x}', out: 'x' },
    { name: 'a lone $ stays', in: 'eth0$', out: 'eth0$' },
    { name: '$$ is one $', in: 'a$$b', out: 'a$b' },
    { name: 'an escaped reference is literal', in: '$${SECRET}', out: '${SECRET}' },
    { name: 'an escaped number reference stays text', in: '$${PORT}', out: '${PORT}' },
  ];
  for (const c of cases) assert.deepEqual(interpolateString(c.in, env, 'f: x'), c.out, c.name);
});

void test('interpolateString: an unset variable without default names the path', () => {
  assert.throws(() => interpolateString('${NOPE}', env, 'devices.yaml: devices[0].host'), (e: unknown) => e instanceof ConfigError && /devices\.yaml: devices\[0\]\.host: environment variable NOPE is not set/.test(e.message));
});

void test('escapeLiteral round-trips every value through interpolation, never reading the environment', () => {
  for (const v of ['${SECRET}', '$${SECRET}', '$', '$$', 'a$b', '${PORT}', '${NOPE}', '^Gi.*$', 'plain', '', '${SECRET:-x}$']) {
    assert.equal(interpolateString(escapeLiteral(v), env, 'f'), v, v);
  }
});

void test('escapeLiterals escapes string values at any depth and leaves keys and other types', () => {
  assert.deepEqual(escapeLiterals({ 'k$': ['${A}', 1, true, null], n: { s: 'x$' } }), { 'k$': ['$${A}', 1, true, null], n: { s: 'x$$' } });
});
