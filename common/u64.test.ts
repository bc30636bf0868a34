import assert from 'node:assert/strict';
import { test } from 'node:test';
import { numberToU64, u64ToNumber } from './u64.js';

const edges = [0n, 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 53n + 3n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n - 2048n, 2n ** 64n - 1025n];

test('u64ToNumber is Number() for every unsigned 64-bit value, rounding included', () => {
  let seed = 9;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648));
  const values = [...edges];
  for (let i = 0; i < 5000; i++) values.push((BigInt(rnd()) << BigInt(rnd() % 34)) ^ BigInt(rnd()));
  for (const b of values) assert.equal(u64ToNumber(b), Number(b), String(b));
});

test('numberToU64 is BigInt() for integers below 2^64', () => {
  const values = edges.map(Number).filter((n) => n < 2 ** 64);
  for (let i = 0; i < 5000; i++) values.push(Math.floor(Math.random() * 2 ** (1 + (i % 63))));
  for (const n of values) assert.equal(numberToU64(n), BigInt(n), String(n));
});
