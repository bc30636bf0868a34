import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rebooted } from './snmp-input.js';

const cases: Array<[string, number | null, number, boolean]> = [
  ['first poll', null, 5, false],
  ['uptime advanced', 1000, 7000, false],
  ['uptime went back: reboot', 900_000, 300, true],
  ['uptime wrapped at 2^32 centiseconds (497 days): not a reboot', 2 ** 32 - 100, 400, false],
];
for (const [name, prev, cur, want] of cases) {
  test(`reboot detection: ${name}`, () => assert.equal(rebooted(prev, cur), want));
}
