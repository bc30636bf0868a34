// The collector's real net-snmp sessions against lab agents over loopback UDP: SNMPv1 walks that end
// in a noSuchName (agents whose MIB ends with the interface tables), SNMPv3 at every security level
// and protocol the lab offers (noAuthNoPriv; authNoPriv with SHA-1/224/256/384/512; authPriv with AES-128
// and AES-256 b/r), and a wrong key or passphrase reported as an authentication failure, also as the
// device's status in the SNMP input. Needs 127.0.0.1 and free UDP ports from 23161 (and the stack's env file, for a config).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, type Lab, type LabOptions } from '../../collector/lab/lab.js';
import { V3_VARIANTS } from '../../collector/lab/v3-users.js';
import { pollDevice, type PollResult } from '../../collector/inputs/snmp/poll.js';
import { createNetSnmpSession } from '../../common/snmp/session.js';
import { createSnmpInput } from '../../collector/inputs/snmp/snmp-input.js';
import { systemClock } from '../../common/clock.js';
import { deviceSchema } from '../../common/config/schema.js';
import { decodeDeviceStatus } from '../../common/contracts/index.js';
import { ConfigError } from '../../common/errors.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { testConfig, uniqueId } from './stack.js';

const FIRST_PORT = 23161;
const V3 = { user: 'labuser', authKey: 'lab-auth-passphrase', privKey: 'lab-priv-passphrase' };
const D = { plain: 0, shortHc: 1, short32: 2 } as const;

async function startLab(opts: Omit<LabOptions, 'basePort'>): Promise<Lab> {
  for (let base = FIRST_PORT; base < FIRST_PORT + 4000; base += 100) {
    const l = createLab(silentLogger, { ...opts, basePort: base });
    try {
      await l.start();
      return l;
    } catch (err) {
      if (!(err instanceof ConfigError && /cannot bind/.test(err.message))) throw err;
    }
  }
  throw new Error(`no free UDP port range from ${FIRST_PORT}`);
}

let lab: Lab;
before(async () => {
  lab = await startLab({ devices: 3, ports: 12, shortMib: [D.shortHc, D.short32], only32bit: [D.short32], v3: V3 });
});
after(async () => {
  await lab?.stop();
});

function device(i: number, snmp: unknown) {
  const d = lab.devices[i];
  return deviceSchema.parse({ id: d.id, host: d.host, port: d.port, snmp });
}

async function poll(i: number, snmp: unknown, timeoutMs = 2000): Promise<PollResult> {
  const s = createNetSnmpSession(device(i, snmp), { timeoutMs, retries: 0 }, Date.now);
  try {
    return await pollDevice(s, lab.devices[i].id, { maxRepetitions: 20 });
  } finally {
    s.close();
  }
}

test('v1: walks that run off the end of the MIB (noSuchName at varbind k) finish that column; every interface arrives', async () => {
  for (const i of [D.shortHc, D.short32]) {
    const v1 = await poll(i, { version: '1', community: 'public' });
    const v2 = await poll(i, { version: '2c', community: 'public' });
    assert.equal(v1.sample.interfaces.length, 12, lab.devices[i].id);
    assert.deepEqual(v1.skipped, []);
    assert.deepEqual(v1.sample.interfaces.map((f) => [f.ifIndex, f.name, f.width]), v2.sample.interfaces.map((f) => [f.ifIndex, f.name, 32]), 'v1 sees the same interfaces, 32-bit');
    assert.ok(v1.sample.interfaces.every((f) => f.outErrors !== undefined), 'the last ifTable column was read to its end');
  }
  // The same walk on a device whose MIB goes on after the IF-MIB needs no noSuchName at all.
  assert.equal((await poll(D.plain, { version: '1', community: 'public' })).sample.interfaces.length, 12);
});

for (const v of V3_VARIANTS) {
  const label = `${v.level}${v.authProtocol ? ` ${v.authProtocol}` : ''}${v.privProtocol ? ` ${v.privProtocol}` : ''}`;
  test(`v3 ${label}: a poll reads every interface with 64-bit counters`, async () => {
    const [entry] = lab.deviceEntries('3', v.suffix);
    const r = await poll(D.plain, entry.snmp);
    assert.equal(r.sample.interfaces.length, 12);
    assert.ok(r.sample.interfaces.every((f) => f.width === 64 && f.inOctets >= 0n));
    assert.ok(r.sample.sysUpTime >= 0);
  });
}

test('v3: a wrong auth key, a wrong priv key, a level the user does not have, an unknown user: authentication failures', async () => {
  const [priv] = lab.deviceEntries('3', '');
  const [auth] = lab.deviceEntries('3', 'auth-sha256');
  const cases: Array<{ name: string; snmp: Record<string, unknown>; want: RegExp }> = [
    { name: 'wrong auth key (authPriv)', snmp: { ...priv.snmp, authKey: 'not-the-right-key' }, want: /Wrong Digest/ },
    { name: 'wrong auth key (authNoPriv)', snmp: { ...auth.snmp, authKey: 'not-the-right-key' }, want: /Wrong Digest/ },
    { name: 'wrong priv key', snmp: { ...priv.snmp, privKey: 'not-the-right-key' }, want: /Decryption Error|Wrong Digest/ },
    { name: 'authPriv user asked at noAuthNoPriv', snmp: { version: '3', username: (priv.snmp as { username: string }).username, level: 'noAuthNoPriv' }, want: /Wrong Digest|Unsupported Security Level/ },
    { name: 'unknown user', snmp: { version: '3', username: 'nobody-here', level: 'noAuthNoPriv' }, want: /Unknown User Name/ },
  ];
  for (const c of cases) {
    await assert.rejects(poll(D.plain, c.snmp, 1500), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'NETMON_ERR_SNMP_AUTH', `${c.name}: ${e.message}`);
      assert.match(e.message, c.want, c.name);
      assert.match(e.message, new RegExp(lab.devices[D.plain].id), 'the error names the device');
      return true;
    });
  }
});

test('v3: the SNMP input marks a device with a wrong key `auth-failure` and keeps polling the good one', { timeout: 30_000 }, async () => {
  const [good] = lab.deviceEntries('3', 'priv-sha256-aes');
  const devices = [device(D.plain, good.snmp), deviceSchema.parse({ id: 'bad-key', host: lab.devices[D.shortHc].host, port: lab.devices[D.shortHc].port, snmp: { ...good.snmp, authKey: 'wrong-passphrase' } })];
  const config = testConfig(uniqueId('labv3'), { collector: { pollIntervalSeconds: 1, timeoutMs: 1000, retries: 0 } });
  const published: Array<{ key: string; value: string | null; topic?: string }> = [];
  const input = createSnmpInput(silentLogger, config, { devices, sink: { publish: (r) => published.push(r) }, clock: systemClock, registry: createRegistry({ defaultMetrics: false }) });
  await input.start();
  try {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(input.statusOf('bad-key')?.state === 'auth-failure' && input.statusOf(lab.devices[D.plain].id)?.state === 'up')) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await input.stop();
  }
  const bad = published.filter((p) => p.topic === config.kafka.topics.status && p.key === 'bad-key').map((p) => decodeDeviceStatus(p.value ?? '')).at(-1);
  assert.ok(bad, 'a status record for the bad device was published');
  assert.equal(bad.state, 'auth-failure');
  assert.match(bad.lastError ?? '', /authentication with bad-key .* failed: Wrong Digest/);
  const goodStatus = published.filter((p) => p.topic === config.kafka.topics.status && p.key === lab.devices[D.plain].id).map((p) => decodeDeviceStatus(p.value ?? '')).at(-1);
  assert.equal(goodStatus?.state, 'up');
  assert.ok(published.some((p) => p.topic === undefined && p.key === lab.devices[D.plain].id), 'samples of the good device');
});
