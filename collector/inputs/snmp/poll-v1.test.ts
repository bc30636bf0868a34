// The poller over an SNMPv1 agent: the v1 GETNEXT logic (common/snmp/v1-getnext.ts) driven by
// pollDevice through the recording fake session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeSession } from '../../../common/snmp/session.fixture.js';
import { COLUMNS, SMI, SYS_UPTIME } from '../../../common/snmp/if-mib.js';
import type { RawVarbind } from '../../../common/snmp/varbind.js';
import { pollDevice } from './poll.js';

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

