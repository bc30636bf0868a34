// The collector's SNMP polling against the stack's real net-snmp snmpd: v2c and v3 authPriv, this
// host's real loopback counters, and the errors a wrong credential gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollDevice } from '../../collector/inputs/snmp/poll.js';
import { createNetSnmpSession } from '../../common/snmp/session.js';
import { stackEnv, stackSnmpDevice } from './stack.js';
import { readProcNetDev } from './loopback.js';

const defaults = { timeoutMs: 1500, retries: 0 };

test('v2c poll of the real snmpd: loopback with 64-bit counters that match /proc/net/dev', async () => {
  const session = createNetSnmpSession(stackSnmpDevice(), defaults, Date.now);
  try {
    const before = readProcNetDev();
    const { sample, skipped } = await pollDevice(session, 'localhost', { maxRepetitions: 20 });
    const after = readProcNetDev();
    assert.deepEqual(skipped, []);
    assert.ok(sample.sysUpTime > 0);
    const lo = sample.interfaces.find((i) => i.name === 'lo');
    assert.ok(lo, `lo among ${sample.interfaces.map((i) => i.name).join(', ')}`);
    assert.equal(lo.width, 64);
    assert.equal(lo.operStatus, 'up');
    // snmpd reads the same kernel counters; its value lies between our two reads, minus the agent's
    // short cache (the stack sets it as low as net-snmp allows), so allow what flowed in a few seconds.
    assert.ok(lo.inOctets <= after.rxBytes, `${lo.inOctets} <= ${after.rxBytes}`);
    assert.ok(before.rxBytes - lo.inOctets < 50_000_000n, `agent value ${lo.inOctets} close to kernel ${before.rxBytes}`);
    assert.ok(lo.inPackets > 0n);
  } finally {
    session.close();
  }
});

test('v3 authPriv poll works with the stack user and fails clearly with a wrong key', async () => {
  const env = stackEnv();
  const v3 = { version: '3', username: env.v3.user, level: 'authPriv', authProtocol: env.v3.authProtocol, authKey: env.v3.authKey, privProtocol: env.v3.privProtocol, privKey: env.v3.privKey };
  const session = createNetSnmpSession(stackSnmpDevice('v3dev', v3), defaults, Date.now);
  try {
    const { sample } = await pollDevice(session, 'v3dev', { maxRepetitions: 20 });
    assert.ok(sample.interfaces.some((i) => i.name === 'lo'));
  } finally {
    session.close();
  }
  const wrong = createNetSnmpSession(stackSnmpDevice('v3bad', { ...v3, authKey: 'not-the-right-key' }), defaults, Date.now);
  try {
    await assert.rejects(pollDevice(wrong, 'v3bad', { maxRepetitions: 20 }), (err: Error & { code?: string }) => {
      assert.match(err.code ?? '', /NETMON_ERR_SNMP_(AUTH|TIMEOUT)/);
      return true;
    });
  } finally {
    wrong.close();
  }
});

test('a wrong community times out as unreachable, naming the device', async () => {
  const session = createNetSnmpSession(stackSnmpDevice('badcomm', { version: '2c', community: 'wrong-community' }), { timeoutMs: 300, retries: 0 }, Date.now);
  try {
    await assert.rejects(pollDevice(session, 'badcomm', { maxRepetitions: 20 }), /badcomm \(127\.0\.0\.1:\d+\) timed out/);
  } finally {
    session.close();
  }
});

test('v1 poll (GETNEXT, one row per request) reads the same interfaces as v2c', async () => {
  const env = stackEnv();
  const v1 = createNetSnmpSession(stackSnmpDevice('v1dev', { version: '1', community: env.community }), defaults, Date.now);
  const v2 = createNetSnmpSession(stackSnmpDevice('v2dev'), defaults, Date.now);
  try {
    const a = await pollDevice(v1, 'v1dev', { maxRepetitions: 20 });
    const b = await pollDevice(v2, 'v2dev', { maxRepetitions: 20 });
    assert.deepEqual(a.sample.interfaces.map((i) => [i.ifIndex, i.name]), b.sample.interfaces.map((i) => [i.ifIndex, i.name]));
    // SNMPv1 cannot carry Counter64: the agent skips the HC columns, so the poll falls back to 32 bits.
    assert.ok(a.sample.interfaces.every((i) => i.width === 32), 'v1 gives 32-bit counters');
    assert.ok(b.sample.interfaces.every((i) => i.width === 64), 'v2c gives 64-bit counters');
    assert.ok(a.requests > b.requests, `GETNEXT needs more round trips (${a.requests} vs ${b.requests})`);
  } finally {
    v1.close();
    v2.close();
  }
});
