import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeSession } from './session.fixture.js';
import { COLUMNS, SMI, SYS_UPTIME } from './if-mib.js';
import { pollDevice } from './poll.js';
import { END_OF_MIB_VIEW, type RawVarbind } from './session.js';
import { NoSuchNameError, v1GetNext } from './v1-getnext.js';

const vb = (oid: string, type: number, value: unknown): RawVarbind => ({ oid, type, value });

function legacyInterface(ifIndex: number, name: string, inOctets: number): RawVarbind[] {
  const i = `.${ifIndex}`;
  return [
    vb(COLUMNS.ifDescr + i, SMI.OctetString, Buffer.from(name)),
    vb(COLUMNS.ifSpeed + i, SMI.Gauge32, 100_000_000),
    vb(COLUMNS.ifOperStatus + i, SMI.Integer, 1),
    vb(COLUMNS.ifInOctets + i, SMI.Counter32, inOctets),
    vb(COLUMNS.ifOutOctets + i, SMI.Counter32, 17),
    vb(COLUMNS.ifInUcastPkts + i, SMI.Counter32, 5),
    vb(COLUMNS.ifOutUcastPkts + i, SMI.Counter32, 3),
    // The last ifTable column: a GETNEXT after its last row runs off the end of this agent's MIB.
    vb(COLUMNS.ifOutErrors + i, SMI.Counter32, 0),
  ];
}

test('v1: a noSuchName at varbind k of a multi-varbind GETNEXT finishes that column and the walk goes on', async () => {
  // A v1 agent whose MIB ends with the ifTable: every ifXTable column, and then ifOutErrors, hits the end.
  const mib = [vb(`${SYS_UPTIME}.0`, SMI.TimeTicks, 4242), ...legacyInterface(1, 'eth0', 1000), ...legacyInterface(2, 'eth1', 4294967295)];
  const session = createFakeSession(mib, { v1: true });
  const { sample, skipped } = await pollDevice(session, 'old', { maxRepetitions: 10 });
  assert.deepEqual(skipped, []);
  assert.equal(sample.sysUpTime, 4242);
  assert.deepEqual(
    sample.interfaces.map((i) => [i.ifIndex, i.name, i.width, i.inOctets, i.outErrors]),
    [
      [1, 'eth0', 32, 1000n, 0n],
      [2, 'eth1', 32, 4294967295n, 0n],
    ],
  );
  const failed = session.getNexts.filter((g) => g.noSuchName !== null);
  assert.ok(failed.length > 0, 'the agent did answer noSuchName');
  for (const g of failed) {
    const k = g.noSuchName ?? -1;
    const retry = session.getNexts[session.getNexts.indexOf(g) + 1];
    assert.ok(retry, 'every noSuchName is followed by a retry');
    assert.deepEqual(retry.oids, g.oids.filter((_o, i) => i !== k), 'the retry leaves out exactly varbind k');
  }
});

const agent = (endAfter: Record<string, boolean>, calls: string[][]) => (oids: string[]) => {
  calls.push(oids);
  const k = oids.findIndex((o) => endAfter[o]);
  if (k >= 0) return Promise.reject(new NoSuchNameError(k));
  return Promise.resolve(oids.map((o) => vb(`${o}.1`, SMI.Integer, 1)));
};

const cases: Array<{ name: string; oids: string[]; ends: string[]; wantEnded: string[]; wantRequests: number }> = [
  { name: 'nothing ends: one request', oids: ['1.1', '1.2', '1.3'], ends: [], wantEnded: [], wantRequests: 1 },
  { name: 'the middle one ends', oids: ['1.1', '1.2', '1.3'], ends: ['1.2'], wantEnded: ['1.2'], wantRequests: 2 },
  { name: 'two end', oids: ['1.1', '1.2', '1.3'], ends: ['1.1', '1.3'], wantEnded: ['1.1', '1.3'], wantRequests: 3 },
  { name: 'all end: bounded by their count', oids: ['1.1', '1.2'], ends: ['1.1', '1.2'], wantEnded: ['1.1', '1.2'], wantRequests: 2 },
];
for (const c of cases) {
  test(`v1GetNext: ${c.name}`, async () => {
    const calls: string[][] = [];
    const ends = Object.fromEntries(c.ends.map((o) => [o, true]));
    const { varbinds, requests } = await v1GetNext(agent(ends, calls), c.oids);
    assert.equal(requests, c.wantRequests);
    assert.equal(calls.length, c.wantRequests);
    assert.deepEqual(varbinds.filter((v) => v.type === END_OF_MIB_VIEW).map((v) => v.oid), c.wantEnded);
    for (const [i, v] of varbinds.entries()) if (v.type !== END_OF_MIB_VIEW) assert.equal(v.oid, `${c.oids[i]}.1`);
  });
}

test('v1GetNext: a noSuchName without an index asks column by column; other errors pass through', async () => {
  const calls: string[][] = [];
  const getNext = (oids: string[]) => {
    calls.push(oids);
    if (oids.includes('1.2')) return Promise.reject(new NoSuchNameError(null));
    return Promise.resolve(oids.map((o) => vb(`${o}.1`, SMI.Integer, 1)));
  };
  const { varbinds } = await v1GetNext(getNext, ['1.1', '1.2', '1.3']);
  assert.deepEqual(varbinds.map((v) => v.type === END_OF_MIB_VIEW), [false, true, false]);
  assert.deepEqual(calls, [['1.1', '1.2', '1.3'], ['1.1'], ['1.2'], ['1.3']]);
  await assert.rejects(v1GetNext(() => Promise.reject(new Error('timed out')), ['1.1']), /timed out/);
});
