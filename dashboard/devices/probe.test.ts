// Tests of the probe over the recording fake session: sysName, sysDescr, interfaces (speed from
// ifHighSpeed, else ifSpeed; status names), the session closed, and errors passed through as codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceSchema } from '../../common/config/schema.js';
import { ErrorCodes, NetmonError } from '../../common/errors.js';
import { createFakeSession, type FakeSession } from '../../common/snmp/session.fixture.js';
import { createRateLimiter, probeDevice, probeFailure } from './probe.js';

const S = (oid: string, text: string) => ({ oid, type: 4, value: Buffer.from(text) });
const I = (oid: string, n: number) => ({ oid, type: 2, value: n });
const G = (oid: string, n: number) => ({ oid, type: 66, value: n });
const IF = '1.3.6.1.2.1.2.2.1';
const IFX = '1.3.6.1.2.1.31.1.1.1';
const MIB = [
  S('1.3.6.1.2.1.1.1.0', 'Test agent 1.0'),
  S('1.3.6.1.2.1.1.5.0', 'sw-lab'),
  S(`${IF}.2.1`, 'lo'), S(`${IF}.2.2`, 'eth0'),
  I(`${IF}.3.1`, 24), I(`${IF}.3.2`, 6),
  G(`${IF}.5.1`, 10_000_000), G(`${IF}.5.2`, 4_294_967_295),
  I(`${IF}.7.1`, 1), I(`${IF}.7.2`, 2),
  I(`${IF}.8.1`, 1), I(`${IF}.8.2`, 2),
  S(`${IFX}.1.1`, 'lo'), S(`${IFX}.1.2`, 'eth0'),
  G(`${IFX}.15.1`, 0), G(`${IFX}.15.2`, 10_000),
  S(`${IFX}.18.2`, 'uplink'),
];
const device = deviceSchema.parse({ id: 'x', host: '127.0.0.1', snmp: { version: '2c', community: 'c' } });

void test('probeDevice reads sysName, sysDescr and the interface table through the session port', async () => {
  let session: FakeSession | undefined;
  const r = await probeDevice(device, { timeoutMs: 100, retries: 0, maxRepetitions: 5, open: () => (session = createFakeSession(MIB)) });
  assert.equal(r.sysName, 'sw-lab');
  assert.equal(r.sysDescr, 'Test agent 1.0');
  assert.equal(r.interfaceCount, 2);
  assert.deepEqual(r.interfaces, [
    { ifIndex: 1, ifName: 'lo', ifDescr: 'lo', ifAlias: '', ifType: 24, speed: 10_000_000, adminStatus: 'up', operStatus: 'up' },
    { ifIndex: 2, ifName: 'eth0', ifDescr: 'eth0', ifAlias: 'uplink', ifType: 6, speed: 10_000_000_000, adminStatus: 'down', operStatus: 'down' },
  ]);
  assert.equal(session?.closed, true);
});

void test('probe errors keep their catalogue code; the session is closed anyway', async () => {
  let session: FakeSession | undefined;
  const fail = new NetmonError(ErrorCodes.SNMP_TIMEOUT, 'SNMP request to x timed out');
  await assert.rejects(probeDevice(device, { timeoutMs: 100, retries: 0, maxRepetitions: 5, open: () => (session = createFakeSession(MIB, { fail })) }), (err: unknown) => {
    assert.deepEqual(probeFailure(err), { code: 'NETMON_ERR_SNMP_TIMEOUT', message: 'SNMP request to x timed out' });
    return true;
  });
  assert.equal(session?.closed, true);
  assert.equal(probeFailure(new Error('boom')).code, ErrorCodes.SNMP_PROTOCOL);
});

void test('createRateLimiter: a burst of perMinute, then one per 60/perMinute s, per client; bounded', () => {
  let now = 0;
  const limiter = createRateLimiter({ perMinute: 3, now: () => now, maxClients: 2 });
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.take('a')), [0, 0, 0, 20_000]);
  assert.equal(limiter.take('b'), 0, 'another client has its own bucket');
  now = 19_999;
  assert.equal(limiter.take('a'), 1);
  now = 20_000;
  assert.equal(limiter.take('a'), 0);
  // A third and fourth client: the tracked ones are forgotten, never more than maxClients.
  limiter.take('c');
  limiter.take('d');
  now = 1_000_000;
  assert.equal(limiter.take('a'), 0);
});
