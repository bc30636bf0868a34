import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollDevice } from './poll.js';
import { createFakeSession } from '../../../common/snmp/session.fixture.js';
import { COLUMNS, SMI, SYS_UPTIME } from '../../../common/snmp/if-mib.js';
import type { RawVarbind } from '../../../common/snmp/varbind.js';
import { walkColumns } from '../../../common/snmp/walker.js';
import { compileFilter, createIdentityMap } from './inventory.js';
import { discoverDevice } from './poll.js';
import { firstDue, nextDue, phaseMs } from './schedule.js';

const c64 = (n: bigint): Buffer => {
  const hex = n.toString(16).padStart(16, '0');
  return Buffer.from(hex, 'hex');
};
const vb = (oid: string, type: number, value: unknown): RawVarbind => ({ oid, type, value });

function hcInterface(ifIndex: number, name: string, o: { inOctets: bigint; outOctets: bigint; speedMbps?: number }): RawVarbind[] {
  const i = `.${ifIndex}`;
  return [
    vb(COLUMNS.ifName + i, SMI.OctetString, Buffer.from(name)),
    vb(COLUMNS.ifHCInOctets + i, SMI.Counter64, c64(o.inOctets)),
    vb(COLUMNS.ifHCOutOctets + i, SMI.Counter64, c64(o.outOctets)),
    vb(COLUMNS.ifHCInUcastPkts + i, SMI.Counter64, c64((1n << 64n) - 1n)),
    vb(COLUMNS.ifHCInMulticastPkts + i, SMI.Counter64, c64(2n)),
    vb(COLUMNS.ifHCInBroadcastPkts + i, SMI.Counter64, c64(3n)),
    vb(COLUMNS.ifHCOutUcastPkts + i, SMI.Counter64, c64(10n)),
    vb(COLUMNS.ifHCOutMulticastPkts + i, SMI.Counter64, c64(0n)),
    vb(COLUMNS.ifHCOutBroadcastPkts + i, SMI.Counter64, c64(1n)),
    vb(COLUMNS.ifHighSpeed + i, SMI.Gauge32, o.speedMbps ?? 1000),
    vb(COLUMNS.ifSpeed + i, SMI.Gauge32, 4294967295),
    vb(COLUMNS.ifAlias + i, SMI.OctetString, Buffer.from(`alias ${name}\u0000`)),
    vb(COLUMNS.ifOperStatus + i, SMI.Integer, 1),
    vb(COLUMNS.ifInErrors + i, SMI.Counter32, 5),
    vb(COLUMNS.ifOutErrors + i, SMI.Counter32, 0),
    vb(COLUMNS.ifInDiscards + i, SMI.Counter32, 4294967295),
    vb(COLUMNS.ifOutDiscards + i, SMI.Counter32, 1),
    vb(COLUMNS.ifCounterDiscontinuityTime + i, SMI.TimeTicks, 0),
  ];
}

function legacyInterface(ifIndex: number, name: string): RawVarbind[] {
  const i = `.${ifIndex}`;
  return [
    vb(COLUMNS.ifDescr + i, SMI.OctetString, Buffer.from(name)),
    vb(COLUMNS.ifSpeed + i, SMI.Gauge32, 100_000_000),
    vb(COLUMNS.ifOperStatus + i, SMI.Integer, 2),
    vb(COLUMNS.ifInOctets + i, SMI.Counter32, 4294967290),
    vb(COLUMNS.ifOutOctets + i, SMI.Counter32, 17),
    vb(COLUMNS.ifInUcastPkts + i, SMI.Counter32, 4294967295),
    vb(COLUMNS.ifInNUcastPkts + i, SMI.Counter32, 2),
    vb(COLUMNS.ifOutUcastPkts + i, SMI.Counter32, 3),
  ];
}

const uptime = vb(`${SYS_UPTIME}.0`, SMI.TimeTicks, 123456);
const trailer = vb('1.3.6.1.2.1.99.1', SMI.Integer, 0);

test('a poll reads sysUpTime and the HC counters of every interface, packets summed modulo 2^64', async () => {
  const session = createFakeSession([uptime, trailer, ...hcInterface(1, 'lo', { inOctets: (1n << 64n) - 1n, outOctets: 42n }), ...hcInterface(2, 'eth0', { inOctets: 7n, outOctets: 8n, speedMbps: 10000 })]);
  const { sample, skipped } = await pollDevice(session, 'r1', { maxRepetitions: 10 });
  assert.deepEqual(skipped, []);
  assert.equal(sample.deviceId, 'r1');
  assert.equal(sample.sysUpTime, 123456);
  assert.equal(sample.interfaces.length, 2);
  const [lo, eth0] = sample.interfaces;
  assert.equal(lo.name, 'lo');
  assert.equal(lo.alias, 'alias lo');
  assert.equal(lo.width, 64);
  assert.equal(lo.inOctets, (1n << 64n) - 1n);
  assert.equal(lo.inPackets, 4n, '(2^64-1) + 2 + 3 mod 2^64');
  assert.equal(lo.outPackets, 11n);
  assert.equal(lo.speed, 1e9, 'ifHighSpeed wins over a saturated ifSpeed');
  assert.equal(lo.inDiscards, 4294967295n);
  assert.equal(eth0.speed, 1e10);
  assert.equal(eth0.operStatus, 'up');
});

test('interfaces without HC counters fall back to 32-bit ifTable counters, marked width 32', async () => {
  const session = createFakeSession([uptime, trailer, ...hcInterface(1, 'lo', { inOctets: 1n, outOctets: 1n }), ...legacyInterface(5, 'old0')]);
  const { sample } = await pollDevice(session, 'r1', { maxRepetitions: 3 });
  const old = sample.interfaces.find((i) => i.ifIndex === 5)!;
  assert.equal(old.width, 32);
  assert.equal(old.name, 'old0');
  assert.equal(old.inOctets, 4294967290n);
  assert.equal(old.inPackets, 1n, '(2^32-1) + 2 mod 2^32');
  assert.equal(old.speed, 100_000_000);
  assert.equal(old.operStatus, 'down');
  assert.equal(sample.interfaces.find((i) => i.ifIndex === 1)!.width, 64);
});

test('one GETBULK carries all columns; a table longer than max-repetitions takes more round trips', async () => {
  const ifaces = Array.from({ length: 48 }, (_, k) => hcInterface(k + 1, `ge-0/0/${k}`, { inOctets: BigInt(k), outOctets: 1n })).flat();
  const session = createFakeSession([uptime, trailer, ...ifaces]);
  const { sample, requests } = await pollDevice(session, 'sw', { maxRepetitions: 20 });
  assert.equal(sample.interfaces.length, 48);
  assert.equal(requests, 3, '48 rows at 20 per request, the last request also sees the end of each column');
  assert.equal(session.requests[0].nonRepeaters[0], SYS_UPTIME);
  assert.equal(session.requests[1].nonRepeaters.length, 0);
  assert.ok(sample.interfaces.some((i) => i.ts !== undefined), 'rows from later responses carry their own event time');
});

test('garbage values leave the interface out with a reason and keep the others', async () => {
  const good = hcInterface(1, 'lo', { inOctets: 1n, outOctets: 1n });
  const garbage = hcInterface(2, 'eth0', { inOctets: 1n, outOctets: 1n }).map((v) => (v.oid === `${COLUMNS.ifHCInOctets}.2` ? { ...v, type: SMI.OctetString, value: Buffer.from('lol') } : v));
  const { sample, skipped } = await pollDevice(createFakeSession([uptime, trailer, ...good, ...garbage]), 'r1', { maxRepetitions: 10 });
  assert.deepEqual(sample.interfaces.map((i) => i.ifIndex), [1]);
  assert.equal(skipped.length, 1);
  assert.match(skipped[0].reason, /1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.6\.2: expected Counter64/);
});

test('a reply without sysUpTime is an error naming what is missing', async () => {
  await assert.rejects(pollDevice(createFakeSession([trailer, ...hcInterface(1, 'lo', { inOctets: 1n, outOctets: 1n })]), 'r1', { maxRepetitions: 10 }), /no sysUpTime\.0/);
});

test('the walker refuses an agent that loops (non-increasing OIDs) and bounds its requests', async () => {
  const col = COLUMNS.ifHCInOctets;
  const looping = {
    bulk: () => Promise.resolve({ nonRepeaters: [], columns: [[vb(`${col}.1`, SMI.Counter64, c64(1n))]], arrivedAt: 1 }),
    close: () => undefined,
  };
  await assert.rejects(walkColumns(looping, [], [col], { maxRepetitions: 5 }), /non-increasing OID/);
  let n = 0;
  const endless = {
    bulk: () => Promise.resolve({ nonRepeaters: [], columns: [[vb(`${col}.${++n}`, SMI.Counter64, c64(1n))]], arrivedAt: 1 }),
    close: () => undefined,
  };
  await assert.rejects(walkColumns(endless, [], [col], { maxRepetitions: 1, maxRequests: 50 }), /within 50 requests/);
});

test('schedule: phases spread devices, fixed-rate slots, overruns skip slots instead of queueing', () => {
  const interval = 60_000;
  const phases = new Set(Array.from({ length: 200 }, (_, i) => Math.floor(phaseMs(`dev${i}`, interval) / 6000)));
  assert.ok(phases.size >= 9, `200 devices land in ${phases.size} of 10 six-second buckets`);
  assert.equal(phaseMs('r1', interval), phaseMs('r1', interval));
  assert.equal(firstDue(120_000, interval, 5_000), 125_000);
  assert.equal(firstDue(126_000, interval, 5_000), 185_000);
  assert.deepEqual(nextDue(125_000, 130_000, interval), { due: 185_000, missed: 0 });
  assert.deepEqual(nextDue(125_000, 250_000, interval), { due: 305_000, missed: 2 });
});

test('a configured speed override replaces the speed the device claims (0 = unknown)', async () => {
  const session = createFakeSession([uptime, trailer, ...hcInterface(1, 'lo', { inOctets: 1n, outOctets: 1n, speedMbps: 10 }), ...hcInterface(2, 'eth0', { inOctets: 1n, outOctets: 1n, speedMbps: 100 })]);
  const { sample } = await pollDevice(session, 'r1', { maxRepetitions: 10, speedOverrides: { lo: 0, eth0: 2.5e9 } });
  assert.deepEqual(sample.interfaces.map((i) => [i.name, i.speed]), [['lo', 0], ['eth0', 2.5e9]]);
});

test('discovery reads ifType and ifDescr; the selection filters on name, type and admin status', async () => {
  const withIdentity = (ifIndex: number, name: string, ifType: number, admin: number) => [
    ...hcInterface(ifIndex, name, { inOctets: 1n, outOctets: 1n }),
    vb(`${COLUMNS.ifType}.${ifIndex}`, SMI.Integer, ifType),
    vb(`${COLUMNS.ifDescr}.${ifIndex}`, SMI.OctetString, Buffer.from(`descr ${name}`)),
    vb(`${COLUMNS.ifAdminStatus}.${ifIndex}`, SMI.Integer, admin),
  ];
  const mib = [uptime, trailer, ...withIdentity(1, 'lo', 24, 1), ...withIdentity(2, 'ge-0/0/0', 6, 1), ...withIdentity(3, 'ge-0/0/1', 6, 2), ...withIdentity(4, 'ae0', 161, 1)];
  const discovered = await discoverDevice(createFakeSession(mib), { maxRepetitions: 10 });
  assert.deepEqual(discovered.get(4), { ifType: 161, ifDescr: 'descr ae0' });
  const filter = compileFilter({ include: [], exclude: ['^lo$'], types: [6, 161], adminUpOnly: true });
  const { sample, excluded } = await pollDevice(createFakeSession(mib), 'r1', { maxRepetitions: 10, filter, discovered });
  assert.deepEqual(sample.interfaces.map((i) => i.name), ['ge-0/0/0', 'ae0']);
  assert.equal(excluded, 2);
});

test('a renumbered agent publishes the same interfaces under their first ifIndex, with agentIfIndex set', async () => {
  const identity = createIdentityMap();
  const before = await pollDevice(createFakeSession([uptime, trailer, ...hcInterface(1, 'lo', { inOctets: 1n, outOctets: 1n }), ...hcInterface(2, 'eth0', { inOctets: 5n, outOctets: 5n })]), 'r1', { maxRepetitions: 10, identity });
  assert.deepEqual(before.sample.interfaces.map((i) => [i.name, i.ifIndex, i.agentIfIndex]), [['lo', 1, undefined], ['eth0', 2, undefined]]);
  const after = await pollDevice(createFakeSession([uptime, trailer, ...hcInterface(1, 'lo', { inOctets: 1n, outOctets: 1n }), ...hcInterface(9, 'eth0', { inOctets: 6n, outOctets: 6n })]), 'r1', { maxRepetitions: 10, identity });
  assert.deepEqual(after.sample.interfaces.map((i) => [i.name, i.ifIndex, i.agentIfIndex]), [['lo', 1, undefined], ['eth0', 2, 9]]);
  assert.deepEqual(after.renumbered, [{ name: 'eth0', from: 9, to: 2 }]);
});
