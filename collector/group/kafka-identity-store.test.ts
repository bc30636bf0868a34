// The Kafka identity store: snapshots round-trip through record values keyed by group and device,
// other groups' and unusable records are ignored, and the local directory is the fallback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../common/log.js';
import type { SampleRecordOut } from '../inputs/input.js';
import type { IdentityStore } from '../inputs/snmp/identity-store.js';
import { createKafkaIdentityStore, stateKey } from './kafka-identity-store.js';

const snap = { byName: [['eth0', 1]] as Array<[string, number]>, taken: [[1, 'eth0']] as Array<[number, string]> };
const where = { partition: 0, offset: '0' };

test('a saved snapshot is published keyed <group>:<device> and read back by another member', () => {
  const out: SampleRecordOut[] = [];
  const a = createKafkaIdentityStore(silentLogger, { topic: 't', groupId: 'g', sink: { publish: (r) => out.push(r) } });
  a.save('r1', snap);
  assert.equal(out.length, 1);
  assert.equal(out[0].topic, 't');
  assert.equal(out[0].key, stateKey('g', 'r1'));
  const b = createKafkaIdentityStore(silentLogger, { topic: 't', groupId: 'g', sink: { publish: () => undefined } });
  assert.equal(b.load('r1'), null);
  b.applyRecord(out[0].key, Buffer.from(out[0].value ?? ''), where);
  assert.deepEqual(b.load('r1'), snap);
  b.applyRecord(out[0].key, null, where);
  assert.equal(b.load('r1'), null, 'a tombstone deletes');
});

test("another group's record, a record for another device id and garbage are ignored", () => {
  const s = createKafkaIdentityStore(silentLogger, { topic: 't', groupId: 'g', sink: { publish: () => undefined } });
  s.applyRecord('h:r1', Buffer.from(JSON.stringify({ v: 1, deviceId: 'r1', ...snap })), where);
  s.applyRecord('g:r2', Buffer.from(JSON.stringify({ v: 1, deviceId: 'r1', ...snap })), where);
  s.applyRecord('g:r3', Buffer.from('{nope'), where);
  assert.equal(s.load('r1'), null);
  assert.equal(s.load('r2'), null);
  assert.equal(s.load('r3'), null);
});

test('the local state directory is the fallback for load and still written', () => {
  const files = new Map<string, typeof snap>([['old', snap]]);
  const fallback: IdentityStore = { load: (id) => files.get(id) ?? null, save: (id, s) => void files.set(id, s) };
  const s = createKafkaIdentityStore(silentLogger, { topic: 't', groupId: 'g', sink: { publish: () => undefined }, fallback });
  assert.deepEqual(s.load('old'), snap);
  s.save('new', snap);
  assert.deepEqual(files.get('new'), snap);
});
