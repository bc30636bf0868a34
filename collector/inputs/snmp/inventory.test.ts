import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, createIdentityMap, selects, ALL_INTERFACES, type DiscoveredInterface, type IdentitySnapshot } from './inventory.js';

const iface = (over: Partial<DiscoveredInterface>): DiscoveredInterface => ({ ifIndex: 1, name: 'ge-0/0/1', ifType: 6, adminStatus: 1, ...over });

const filterCases: Array<{ name: string; filter: Parameters<typeof compileFilter>[0]; i: Partial<DiscoveredInterface>; want: boolean }> = [
  { name: 'no selection keeps everything', filter: { include: [], exclude: [], types: [], adminUpOnly: false }, i: { adminStatus: 2, ifType: null }, want: true },
  { name: 'include pattern matches', filter: { include: ['^ge-'], exclude: [], types: [], adminUpOnly: false }, i: {}, want: true },
  { name: 'include pattern misses', filter: { include: ['^xe-'], exclude: [], types: [], adminUpOnly: false }, i: {}, want: false },
  { name: 'exclude wins over include', filter: { include: ['^ge-'], exclude: ['/1$'], types: [], adminUpOnly: false }, i: {}, want: false },
  { name: 'type listed', filter: { include: [], exclude: [], types: [6, 161], adminUpOnly: false }, i: { ifType: 161 }, want: true },
  { name: 'type not listed', filter: { include: [], exclude: [], types: [6], adminUpOnly: false }, i: { ifType: 24 }, want: false },
  { name: 'type unknown with a type list', filter: { include: [], exclude: [], types: [6], adminUpOnly: false }, i: { ifType: null }, want: false },
  { name: 'admin down left out', filter: { include: [], exclude: [], types: [], adminUpOnly: true }, i: { adminStatus: 2 }, want: false },
  { name: 'admin status unknown kept', filter: { include: [], exclude: [], types: [], adminUpOnly: true }, i: { adminStatus: null }, want: true },
];

for (const c of filterCases) {
  test(`interface selection: ${c.name}`, () => {
    assert.equal(selects(compileFilter(c.filter), iface(c.i)), c.want);
  });
}

test('selection default is all', () => {
  assert.ok(selects(ALL_INTERFACES, iface({ name: '', ifType: null, adminStatus: 2 })));
});

test('identity: a renumbered interface keeps the ifIndex it was first published under', () => {
  const ids = createIdentityMap();
  const first = ids.reconcile([{ ifIndex: 1, name: 'lo' }, { ifIndex: 2, name: 'eth0' }, { ifIndex: 3, name: 'eth1' }]);
  assert.deepEqual([...first.stable], [[1, 1], [2, 2], [3, 3]]);
  assert.deepEqual(first.renumbered, []);
  // After a reboot the agent swaps eth0 and eth1 and adds eth2 at index 2's old neighbour.
  const second = ids.reconcile([{ ifIndex: 1, name: 'lo' }, { ifIndex: 2, name: 'eth1' }, { ifIndex: 3, name: 'eth0' }, { ifIndex: 4, name: 'eth2' }]);
  assert.deepEqual([...second.stable].sort((a, b) => a[0] - b[0]), [[1, 1], [2, 3], [3, 2], [4, 4]]);
  assert.deepEqual(second.renumbered.map((r) => `${r.name}:${r.from}->${r.to}`).sort(), ['eth0:3->2', 'eth1:2->3']);
  // A new interface arriving on an index another name holds gets a fresh one, never the other's history.
  const third = ids.reconcile([{ ifIndex: 1, name: 'lo' }, { ifIndex: 7, name: 'eth0' }, { ifIndex: 2, name: 'vlan9' }, { ifIndex: 3, name: 'eth1' }]);
  const s = third.stable;
  assert.equal(s.get(7), 2, 'eth0 keeps 2');
  assert.equal(s.get(3), 3, 'eth1 keeps 3');
  assert.ok(![1, 2, 3, 4].includes(s.get(2)!), `vlan9 gets a fresh index, not ${s.get(2)}`);
  assert.equal(new Set(s.values()).size, s.size, 'published indexes are unique');
});

test('identity: duplicate or empty names are not matched by name (they keep the agent ifIndex when free)', () => {
  const ids = createIdentityMap();
  ids.reconcile([{ ifIndex: 1, name: '' }, { ifIndex: 2, name: 'dup' }, { ifIndex: 3, name: 'dup' }]);
  const again = ids.reconcile([{ ifIndex: 1, name: '' }, { ifIndex: 2, name: 'dup' }, { ifIndex: 3, name: 'dup' }]);
  assert.deepEqual([...again.stable], [[1, 1], [2, 2], [3, 3]]);
  assert.deepEqual(again.renumbered, []);
});

test('identity: a snapshot restores the mapping in a new map (a collector restart keeps renumbered identities)', () => {
  const first = createIdentityMap();
  first.reconcile([{ ifIndex: 1, name: 'ge-0/0/0' }, { ifIndex: 2, name: 'ge-0/0/1' }]);
  assert.ok(first.revision > 0, 'a new interface changes the map');
  const rev = first.revision;
  first.reconcile([{ ifIndex: 1, name: 'ge-0/0/0' }, { ifIndex: 2, name: 'ge-0/0/1' }]);
  assert.equal(first.revision, rev, 'the same interfaces again change nothing');
  const restored = createIdentityMap(JSON.parse(JSON.stringify(first.snapshot())) as IdentitySnapshot);
  const r = restored.reconcile([{ ifIndex: 7, name: 'ge-0/0/1' }, { ifIndex: 8, name: 'ge-0/0/0' }]);
  assert.deepEqual([...r.stable], [[7, 2], [8, 1]]);
  assert.deepEqual(r.renumbered, [{ name: 'ge-0/0/1', from: 7, to: 2 }, { name: 'ge-0/0/0', from: 8, to: 1 }]);
  const fresh = createIdentityMap().reconcile([{ ifIndex: 7, name: 'ge-0/0/1' }, { ifIndex: 8, name: 'ge-0/0/0' }]);
  assert.deepEqual([...fresh.stable], [[7, 7], [8, 8]], 'without the snapshot the identities would split');
});
