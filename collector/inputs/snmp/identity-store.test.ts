import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileIdentityStore } from './identity-store.js';
import { createIdentityMap } from './inventory.js';

test('identity store: a saved map comes back; no file is no map', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-idstore-'));
  const store = createFileIdentityStore(dir);
  assert.equal(store.load('sw1'), null);
  const m = createIdentityMap();
  m.reconcile([{ ifIndex: 3, name: 'ge-0/0/0' }, { ifIndex: 4, name: '' }]);
  store.save('sw1', m.snapshot());
  assert.deepEqual(store.load('sw1'), m.snapshot());
  assert.equal(store.load('sw2'), null, 'per device');
});

test('identity store: an unusable file is an error naming the file and what is wrong', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-idstore-'));
  const store = createFileIdentityStore(dir);
  mkdirSync(join(dir, 'identity'));
  const cases: Array<[string, string, RegExp]> = [
    ['a', '{not json', /identity\/a\.json: not JSON/],
    ['b', JSON.stringify({ v: 1, deviceId: 'b', byName: [['x', 0]], taken: [] }), /identity\/b\.json: byName\.0\.1/],
    ['c', JSON.stringify({ v: 1, deviceId: 'other', byName: [], taken: [] }), /identity\/c\.json: deviceId: is "other", expected "c"/],
    ['d', JSON.stringify({ v: 2, deviceId: 'd', byName: [], taken: [] }), /identity\/d\.json: v/],
  ];
  for (const [id, text, want] of cases) {
    writeFileSync(join(dir, 'identity', `${id}.json`), text);
    assert.throws(() => store.load(id), (e: Error & { code?: string }) => want.test(e.message) && e.code === 'NETMON_ERR_CONFIG_INVALID', id);
  }
});
