// The users file as config-topic records: the round trip, the diff against what the topic holds, and
// the merge rules (a session epoch never goes down; one user per name; a bad record names its field).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../common/errors.js';
import { applyUserRecord, diffUserRecords, usersToRecords } from './user-records.js';
import { emptyUsers, type UsersData } from './users-file.js';

const HASH = 'a'.repeat(64);
const alice = { name: 'alice', uid: 'uid-alice-1', role: 'operator' as const, password: 'scrypt$x', epoch: 2, created: '2026-01-01' };
const data = (): UsersData => ({ users: [{ ...alice }], tokens: [{ id: '0123456789ab', name: 'alice', uid: alice.uid, role: 'viewer', hash: HASH, created: '2026-01-02' }], epochs: { 'config-admin': 3 } });

void test('user records: every record applied to an empty store gives the data back', () => {
  const d = emptyUsers();
  for (const [key, value] of usersToRecords(data())) assert.equal(applyUserRecord(d, key, value), true, key);
  assert.deepEqual(d, data());
  assert.deepEqual(diffUserRecords(usersToRecords(d), data()), [], 'nothing differs');
});

void test('user records: the diff publishes what changed and tombstones what is gone', () => {
  const next = data();
  next.users[0].role = 'admin';
  next.tokens = [];
  assert.deepEqual(
    diffUserRecords(usersToRecords(data()), next).map((c) => [c.key, c.value === null ? null : (c.value as { role: string }).role]),
    [['user:uid-alice-1', 'admin'], ['user-token:0123456789ab', null]],
  );
});

const cases: { name: string; key: string; value: unknown; changed: boolean; check: (d: UsersData) => void }[] = [
  { name: 'a lower epoch does not undo a logout', key: 'user:uid-alice-1', value: { ...alice, role: 'admin', epoch: 1 }, changed: true, check: (d) => assert.deepEqual([d.users[0].role, d.users[0].epoch], ['admin', 2]) },
  { name: 'a higher epoch ends sessions', key: 'user:uid-alice-1', value: { ...alice, epoch: 5 }, changed: true, check: (d) => assert.equal(d.users[0].epoch, 5) },
  { name: 'the same record changes nothing', key: 'user:uid-alice-1', value: { ...alice }, changed: false, check: () => undefined },
  { name: 'a new uid for a name replaces the old user', key: 'user:uid-alice-2', value: { ...alice, uid: 'uid-alice-2', epoch: 0 }, changed: true, check: (d) => assert.deepEqual(d.users.map((u) => u.uid), ['uid-alice-2']) },
  { name: 'a tombstone removes the user', key: 'user:uid-alice-1', value: null, changed: true, check: (d) => assert.equal(d.users.length, 0) },
  { name: 'a session epoch only goes up', key: 'session-epoch:config-admin', value: { epoch: 1 }, changed: false, check: (d) => assert.equal(d.epochs['config-admin'], 3) },
  { name: 'a higher session epoch counts', key: 'session-epoch:config-admin', value: { epoch: 4 }, changed: true, check: (d) => assert.equal(d.epochs['config-admin'], 4) },
  { name: 'a token tombstone revokes it', key: 'user-token:0123456789ab', value: null, changed: true, check: (d) => assert.equal(d.tokens.length, 0) },
];

for (const c of cases) {
  void test(`user records: ${c.name}`, () => {
    const d = data();
    assert.equal(applyUserRecord(d, c.key, c.value), c.changed);
    c.check(d);
  });
}

void test('user records: a bad record names its field and changes nothing', () => {
  const d = data();
  assert.throws(() => applyUserRecord(d, 'user:uid-alice-1', { ...alice, role: 'root' }), (e: unknown) => e instanceof DecodeError && /role/.test(e.message));
  assert.throws(() => applyUserRecord(d, 'user:other-uid-9', { ...alice }), (e: unknown) => e instanceof DecodeError && /uid must be "other-uid-9"/.test(e.message));
  assert.deepEqual(d, data());
});
