// Ownership in a collector group: a device is polled only when its partition is assigned and read to
// its end; a rebalance revokes everything; partitions kept over a rebalance need no re-reading; and
// the devices of a group are split between members with no device in two shares or in none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceSchema, type DeviceConfig } from '../../common/config/schema.js';
import { partitionOfKey } from '../../common/bus/kafka.js';
import { createOwnership } from './ownership.js';

const dev = (id: string, enabled = true): DeviceConfig => deviceSchema.parse({ id, host: '127.0.0.1', enabled, snmp: { version: '2c', community: 'public' } });
const byId = (ds: DeviceConfig[]) => new Map(ds.map((d) => [d.id, d]));
// Device "d<k>" is on partition k mod n: easy to reason about.
const part = (id: string, n: number) => Number(id.slice(1)) % n;

test('devices of a partition are polled only once it is assigned and read to the end it had', () => {
  const o = createOwnership(part);
  o.setDesired(byId([dev('d0'), dev('d1'), dev('d2'), dev('d3'), dev('d5', false)]));
  assert.equal(o.owned().size, 0, 'nothing before an assignment');
  o.joined();
  o.read(2, 5);
  o.assign(4, [1, 2]);
  assert.deepEqual([...o.owned().keys()], [], 'ends not known yet');
  o.setEnds(new Map([[1, { low: 0, high: 0 }], [2, { low: 3, high: 10 }]]));
  assert.deepEqual([...o.owned().keys()], ['d1'], 'an empty partition is read at once');
  assert.deepEqual(o.pending(), [2]);
  o.read(2, 9);
  assert.deepEqual(o.pending(), [2], 'records read before the assignment was known count too');
  o.read(2, 10);
  assert.deepEqual([...o.owned().keys()].sort(), ['d1', 'd2']);
  assert.equal(o.elsewhere('d0'), true);
  assert.equal(o.elsewhere('d1'), false);
  assert.equal(o.elsewhere('d5'), false, 'a disabled device is polled by nobody');
  assert.equal(o.elsewhere('gone'), false, 'a removed device is polled by nobody');
});

test('a rebalance revokes everything; a partition kept over it needs no re-reading, a new one does', () => {
  const o = createOwnership(part);
  o.setDesired(byId([dev('d0'), dev('d1'), dev('d2')]));
  o.assign(3, [0, 1]);
  o.setEnds(new Map([[0, { low: 0, high: 5 }], [1, { low: 0, high: 0 }]]));
  o.read(0, 5);
  assert.equal(o.owned().size, 2);
  o.revoke();
  assert.equal(o.owned().size, 0, 'held during the rebalance');
  o.joined();
  o.assign(3, [0, 2]);
  o.setEnds(new Map([[0, { low: 0, high: 7 }], [2, { low: 0, high: 4 }]]));
  assert.deepEqual([...o.owned().keys()], ['d0'], 'partition 0 was ours and read; 2 is new and unread');
  assert.deepEqual(o.forceReady(), [2]);
  assert.deepEqual([...o.owned().keys()].sort(), ['d0', 'd2']);
});

test('a revoke that may have been a drop (keep = false) keeps nothing over: the same partition is read again', () => {
  const o = createOwnership(part);
  o.setDesired(byId([dev('d0')]));
  o.assign(2, [0]);
  o.setEnds(new Map([[0, { low: 0, high: 1 }]]));
  o.read(0, 1);
  assert.equal(o.owned().size, 1);
  o.revoke(false);
  assert.equal(o.owned().size, 0);
  o.joined();
  o.assign(2, [0]);
  o.setEnds(new Map([[0, { low: 0, high: 2 }]]));
  assert.equal(o.owned().size, 0, 'not read again yet');
  o.read(0, 2);
  assert.equal(o.owned().size, 1);
});

test('an assignment without a rebalance before it (the member was dropped) re-reads everything', () => {
  const o = createOwnership(part);
  o.setDesired(byId([dev('d0')]));
  o.assign(2, [0]);
  o.setEnds(new Map([[0, { low: 0, high: 1 }]]));
  o.read(0, 1);
  assert.equal(o.owned().size, 1);
  o.joined();
  o.assign(2, [0]);
  o.setEnds(new Map([[0, { low: 0, high: 2 }]]));
  assert.equal(o.owned().size, 0);
});

test('with murmur2 partitions, members with disjoint assignments split the devices: each in exactly one share', () => {
  const n = 24;
  const devices = byId(Array.from({ length: 200 }, (_, i) => dev(`lab-${i}`)));
  const members = [0, 1, 2].map(() => createOwnership(partitionOfKey));
  members.forEach((m, k) => {
    m.setDesired(devices);
    const mine = Array.from({ length: n }, (_, p) => p).filter((p) => p % 3 === k);
    m.assign(n, mine);
    m.setEnds(new Map(mine.map((p) => [p, { low: 0, high: 0 }])));
  });
  const counts = new Map<string, number>();
  for (const m of members) for (const id of m.owned().keys()) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.equal(counts.size, 200);
  assert.ok([...counts.values()].every((c) => c === 1));
  for (const m of members) assert.ok(m.owned().size > 30, `a fair share: ${m.owned().size}`);
});

test('a gate holds a read partition back (a takeover that waits); it counts as polled elsewhere meanwhile, and is not re-read when let through', () => {
  const o = createOwnership(part);
  o.setDesired(byId([dev('d0'), dev('d1')]));
  let open = false;
  o.setGate((p) => open || p !== part('d1', 2));
  o.assign(2, [0, 1]);
  o.setEnds(new Map([[0, { low: 0, high: 0 }], [1, { low: 0, high: 0 }]]));
  assert.deepEqual([...o.owned().keys()], ['d0']);
  assert.equal(o.elsewhere('d1'), true, 'its old owner may still poll it: not tombstoned here');
  assert.deepEqual(o.pending(), [], 'read: only the gate holds it');
  open = true;
  assert.deepEqual([...o.owned().keys()].sort(), ['d0', 'd1']);
});
