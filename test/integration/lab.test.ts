// The traffic lab's simulated devices polled by the collector's real poller (createNetSnmpSession +
// pollDevice) over loopback UDP: v2c, v1 and v3, 64-bit and 32-bit-only devices, counters that equal
// the lab's ground truth, near-wrap counters, reboots, counter clears, slow and dead agents, and the
// `netmon lab` command. Needs no Kafka, InfluxDB or snmpd: only 127.0.0.1 and UDP ports >= 21161 that
// are free (a lab that cannot bind moves to the next range).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import { labCommand } from '../../cli/lab-command.js';
import { LAB_FLAGS } from '../../collector/lab/flags.js';
import { createLab, type Lab, type LabOptions } from '../../collector/lab/lab.js';
import { pollDevice, type PollResult } from '../../collector/inputs/snmp/poll.js';
import { createNetSnmpSession } from '../../common/snmp/session.js';
import { loadDevicesFile } from '../../common/config/load.js';
import { deviceSchema } from '../../common/config/schema.js';
import type { InterfaceCounters } from '../../common/contracts/counter-sample.js';
import { ConfigError } from '../../common/errors.js';
import { silentLogger } from '../../common/log.js';

const FIRST_PORT = 21161;
const TWO64 = 1n << 64n;
const V3 = { user: 'labuser', authKey: 'lab-auth-passphrase', privKey: 'lab-priv-passphrase' };

/** Starts a lab on the first range of free ports from FIRST_PORT (steps of 100). */
async function startLab(opts: Omit<LabOptions, 'basePort'>, clock?: { now(): number }): Promise<Lab> {
  for (let base = FIRST_PORT; base < FIRST_PORT + 4000; base += 100) {
    const lab = createLab(silentLogger, { ...opts, basePort: base }, clock ? { clock } : {});
    try {
      await lab.start();
      return lab;
    } catch (err) {
      if (!(err instanceof ConfigError && /cannot bind/.test(err.message))) throw err;
    }
  }
  throw new Error(`no free UDP port range from ${FIRST_PORT}`);
}

// The lab clock is frozen and moved by hand, so what a device answers is known exactly.
let labNow = Date.UTC(2026, 10, 21, 10, 0, 0);
const clock = { now: () => labNow };
let lab: Lab;
const D = { plain: 0, old: 1, wrap: 2, slow: 3, dead: 4 } as const;

before(async () => {
  lab = await startLab({ devices: 5, ports: 48, only32bit: [D.old], nearWrap: [D.wrap], slow: [D.slow], slowMs: 600, dead: [D.dead], v3: V3 }, clock);
});
after(async () => {
  await lab?.stop();
});

function session(i: number, snmp: Record<string, unknown> = { version: '2c', community: 'public' }, timeoutMs = 1500, l: Lab = lab) {
  const d = l.devices[i];
  return createNetSnmpSession(deviceSchema.parse({ id: d.id, host: d.host, port: d.port, snmp }), { timeoutMs, retries: 0 }, Date.now);
}

async function poll(i: number, snmp?: Record<string, unknown>, timeoutMs?: number, l: Lab = lab): Promise<PollResult> {
  const s = session(i, snmp, timeoutMs, l);
  try {
    return await pollDevice(s, l.devices[i].id, { maxRepetitions: 20 });
  } finally {
    s.close();
  }
}

/** The interface as the lab says the poller must see it at tsMs (width 32 = the low bits). */
function expected(i: number, iface: InterfaceCounters, tsMs: number) {
  const c = lab.counterAt(i, iface.ifIndex, tsMs);
  const m = iface.width === 64 ? TWO64 - 1n : 0xffffffffn;
  return { inOctets: c.inOctets & m, outOctets: c.outOctets & m, inPackets: c.inPackets & m, outPackets: c.outPackets & m, inErrors: c.inErrors, outErrors: c.outErrors, inDiscards: c.inDiscards, outDiscards: c.outDiscards, discontinuityTime: c.discontinuityTicks };
}
const got = (f: InterfaceCounters) => ({ inOctets: f.inOctets, outOctets: f.outOctets, inPackets: f.inPackets, outPackets: f.outPackets, inErrors: f.inErrors, outErrors: f.outErrors, inDiscards: f.inDiscards, outDiscards: f.outDiscards, discontinuityTime: f.discontinuityTime });

test('v2c: 48 named interfaces with 64-bit counters equal to the ground truth, at two times', async () => {
  const t1 = lab.startedAt! + 30_000;
  labNow = t1;
  const a = await poll(D.plain);
  labNow = t1 + 60_000;
  const b = await poll(D.plain);
  assert.deepEqual(a.skipped, []);
  assert.equal(a.sample.interfaces.length, 48);
  assert.equal(a.sample.sysUpTime, 3000);
  assert.equal(b.sample.sysUpTime, 9000);
  assert.equal(a.sample.interfaces[0].name, 'ge-0/0/0');
  assert.equal(a.sample.interfaces[47].name, 'xe-0/1/3');
  assert.equal(a.sample.interfaces[47].speed, 10e9);
  assert.equal(a.sample.interfaces[0].speed, 1e9);
  assert.ok(a.sample.interfaces.some((f) => f.alias !== ''));
  assert.ok(a.sample.interfaces.some((f) => f.operStatus === 'down') && a.sample.interfaces.some((f) => f.operStatus === 'up'));
  let moving = 0;
  for (const [k, f] of a.sample.interfaces.entries()) {
    const g = b.sample.interfaces[k];
    assert.equal(f.width, 64);
    assert.deepEqual(got(f), expected(D.plain, f, t1), `${f.name} at t1`);
    assert.deepEqual(got(g), expected(D.plain, g, t1 + 60_000), `${g.name} at t2`);
    assert.ok(g.inOctets >= f.inOctets && g.outPackets >= f.outPackets);
    if (g.inOctets > f.inOctets) moving++;
  }
  assert.ok(moving > 30, `${moving} of 48 interfaces carried traffic`);
  // Traffic varies: the busiest ports differ in rate by orders of magnitude from the idle ones.
  const rates = a.sample.interfaces.map((f, k) => Number(b.sample.interfaces[k].inOctets - f.inOctets)).filter((r) => r > 0);
  assert.ok(Math.max(...rates) / Math.min(...rates) > 1000, 'idle and busy ports');
});

test('v1: the same interfaces through GETNEXT, 32-bit counters equal to the low bits of the truth', async () => {
  labNow = lab.startedAt! + 95_000;
  const v1 = await poll(D.plain, { version: '1', community: 'public' });
  const v2 = await poll(D.plain);
  assert.deepEqual(v1.skipped, []);
  assert.deepEqual(v1.sample.interfaces.map((f) => [f.ifIndex, f.name]), v2.sample.interfaces.map((f) => [f.ifIndex, f.name]));
  assert.ok(v1.sample.interfaces.every((f) => f.width === 32), 'SNMPv1 cannot carry Counter64');
  for (const f of v1.sample.interfaces) assert.deepEqual(got(f), expected(D.plain, f, labNow), f.name);
  assert.ok(v1.requests > v2.requests, `GETNEXT needs more round trips (${v1.requests} vs ${v2.requests})`);
});

test('a 32-bit-only device (no ifXTable): names from ifDescr, width 32, over v2c too', async () => {
  labNow = lab.startedAt! + 40_000;
  const r = await poll(D.old);
  assert.deepEqual(r.skipped, []);
  assert.equal(r.sample.interfaces.length, 48);
  assert.equal(r.sample.interfaces[3].name, 'ge-0/0/3');
  for (const f of r.sample.interfaces) {
    assert.equal(f.width, 32);
    assert.deepEqual(got(f), expected(D.old, f, labNow), f.name);
  }
  // ifSpeed saturates for 10 Gb/s (no ifHighSpeed on this device).
  assert.equal(r.sample.interfaces[47].speed, 4294967295);
});

test('a near-wrap device: 64-bit counters just below 2^64 wrap within the first minute, deltas exact', async () => {
  const t1 = lab.startedAt! + 5_000;
  const t2 = lab.startedAt! + 55_000;
  labNow = t1;
  const a = await poll(D.wrap);
  labNow = t2;
  const b = await poll(D.wrap);
  let wrapped = 0;
  for (const [k, f] of a.sample.interfaces.entries()) {
    const g = b.sample.interfaces[k];
    assert.equal(f.width, 64);
    assert.deepEqual(got(f), expected(D.wrap, f, t1));
    assert.deepEqual(got(g), expected(D.wrap, g, t2));
    if (f.operStatus !== 'up') continue;
    assert.ok(f.inOctets > TWO64 - 10n ** 12n, `${f.name} starts near 2^64: ${f.inOctets}`);
    if (g.inOctets < f.inOctets) wrapped++;
    const truth = lab.counterAt(D.wrap, f.ifIndex, t2).inOctets - lab.counterAt(D.wrap, f.ifIndex, t1).inOctets;
    assert.equal((g.inOctets - f.inOctets + TWO64) % TWO64, (truth + TWO64) % TWO64);
  }
  assert.ok(wrapped > 30, `${wrapped} interfaces wrapped`);
  // The 32-bit view (SNMPv1) wraps with them.
  labNow = t1;
  const v1a = await poll(D.wrap, { version: '1', community: 'public' });
  labNow = t2;
  const v1b = await poll(D.wrap, { version: '1', community: 'public' });
  const up = v1a.sample.interfaces.findIndex((f) => f.operStatus === 'up');
  assert.ok(v1b.sample.interfaces[up].inOctets < v1a.sample.interfaces[up].inOctets, '32-bit counter wrapped');
});

test('a reboot resets sysUpTime and the counters; a counter clear sets ifCounterDiscontinuityTime', async () => {
  labNow = lab.startedAt! + 200_000;
  const before = await poll(D.plain);
  assert.equal(before.sample.sysUpTime, 20_000);
  lab.reboot(D.plain);
  labNow += 1_000;
  const after = await poll(D.plain);
  assert.equal(after.sample.sysUpTime, 100);
  for (const f of after.sample.interfaces) {
    assert.deepEqual(got(f), expected(D.plain, f, labNow), f.name);
    assert.equal(f.discontinuityTime, 0);
  }
  const busy = after.sample.interfaces.reduce((x, y) => (y.inOctets > x.inOctets ? y : x));
  assert.ok(busy.inOctets < before.sample.interfaces[busy.ifIndex - 1].inOctets, 'counters restarted');
  lab.clearCounters(D.plain, busy.ifIndex);
  labNow += 2_000;
  const cleared = await poll(D.plain);
  const c = cleared.sample.interfaces[busy.ifIndex - 1];
  assert.equal(c.discontinuityTime, 100, 'sysUpTime of the clear');
  assert.equal(cleared.sample.sysUpTime, 300, 'no reboot');
  assert.deepEqual(got(c), expected(D.plain, c, labNow));
  assert.ok(c.inOctets < after.sample.interfaces[busy.ifIndex - 1].inOctets + 10n ** 9n);
});

test('a slow device answers after its delay; a dead one never; a wrong community is refused', async () => {
  const t = Date.now();
  const slow = await poll(D.slow, undefined, 2000);
  assert.equal(slow.sample.interfaces.length, 48);
  assert.ok(Date.now() - t >= 600 * slow.requests, `each of ${slow.requests} requests waited 600 ms (${Date.now() - t} ms)`);
  await assert.rejects(poll(D.slow, undefined, 300), (e: Error & { code?: string }) => e.code === 'NETMON_ERR_SNMP_TIMEOUT');
  const dropped = lab.stats().dropped;
  await assert.rejects(poll(D.dead, undefined, 400), (e: Error & { code?: string }) => e.code === 'NETMON_ERR_SNMP_TIMEOUT' && /lab-0004/.test(e.message));
  assert.ok(lab.stats().dropped > dropped);
  lab.setDead(D.dead, false);
  assert.equal((await poll(D.dead)).sample.interfaces.length, 48, 'alive again');
  lab.setDead(D.dead, true);
  lab.setSlow(D.slow, 0);
  const quick = Date.now();
  await poll(D.slow);
  assert.ok(Date.now() - quick < 600);
  lab.setSlow(D.slow, 600);
  const rejected = lab.stats().rejected;
  await assert.rejects(poll(D.plain, { version: '2c', community: 'not-public' }, 300), /timed out/);
  assert.ok(lab.stats().rejected > rejected);
});

test('SNMPv3 authPriv (SHA + AES) works; a wrong key fails', async () => {
  const v3 = { version: '3', username: V3.user, level: 'authPriv', authProtocol: 'sha', authKey: V3.authKey, privProtocol: 'aes', privKey: V3.privKey };
  labNow = lab.startedAt! + 300_000;
  const r = await poll(D.plain, v3);
  assert.equal(r.sample.interfaces.length, 48);
  for (const f of r.sample.interfaces) assert.deepEqual(got(f), expected(D.plain, f, labNow), f.name);
  await assert.rejects(poll(D.plain, { ...v3, authKey: 'not-the-right-key' }, 500), (e: Error & { code?: string }) => /NETMON_ERR_SNMP_(AUTH|TIMEOUT)/.test(e.code ?? ''));
});

test('on the real clock, every value is the ground truth at an instant between request and response', async () => {
  const live = await startLab({ devices: 2, ports: 48, only32bit: [1] });
  try {
    for (const i of [0, 1]) {
      for (let round = 0; round < 3; round++) {
        const sent = Date.now();
        const r = await poll(i, undefined, 1500, live);
        for (const f of r.sample.interfaces) {
          const arrived = f.ts ?? r.sample.ts;
          const m = f.width === 64 ? TWO64 - 1n : 0xffffffffn;
          let at: number | null = null;
          for (let t = arrived; t >= sent && at === null; t--) {
            const c = live.counterAt(i, f.ifIndex, t);
            if ((c.inOctets & m) === f.inOctets && (c.outOctets & m) === f.outOctets) at = t;
          }
          assert.ok(at !== null, `${live.devices[i].id} ${f.name}: ${f.inOctets} is the truth at some ms in [${sent}, ${arrived}]`);
        }
      }
    }
  } finally {
    await live.stop();
  }
});

test('`netmon lab`: prints the table, writes the device list, obeys stdin, quits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-lab-'));
  const file = join(dir, 'devices.yaml');
  // The command binds its own ports: find a free range first (a lab there, stopped again).
  const probe = await startLab({ devices: 3, ports: 8 });
  const basePort = probe.devices[0].port;
  await probe.stop();
  const input = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  const args = ['--devices', '3', '--ports', '8', '--base-port', String(basePort), '--only-32bit', '2', '--slow', '1', '--slow-ms', '50', '--write-devices', file];
  const { values } = parseArgs({ args, options: LAB_FLAGS, allowPositionals: false, strict: true });
  const running = labCommand(values, { out: (s) => out.push(s), err: (s) => err.push(s), logger: () => silentLogger, input });
  const waitFor = async (re: RegExp) => {
    for (let i = 0; i < 100 && !out.some((l) => re.test(l)); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(out.some((l) => re.test(l)), `${re} in\n${out.join('\n')}`);
  };
  await waitFor(/^control on stdin/);
  assert.match(out[0], /^device +id +address +ifaces +counters +state$/);
  assert.match(out[1], /^0 +lab-0000 +127\.0\.0\.1:\d+ +8 +64-bit$/);
  assert.match(out[2], /^1 +lab-0001 .* slow 50 ms$/);
  assert.match(out[3], /^2 +lab-0002 .* 32-bit$/);
  const devices = loadDevicesFile(file, {});
  assert.deepEqual(devices.map((d) => [d.id, d.port]), [['lab-0000', basePort], ['lab-0001', basePort + 1], ['lab-0002', basePort + 2]]);
  const s = createNetSnmpSession(devices[0], { timeoutMs: 1000, retries: 0 }, Date.now);
  try {
    await new Promise((r) => setTimeout(r, 500)); // so that the uptime before the reboot is clearly larger
    const r = await pollDevice(s, 'lab-0000', { maxRepetitions: 20 });
    assert.equal(r.sample.interfaces.length, 8);
    input.write('reboot 0\nbogus\nstatus 0\n');
    await waitFor(/^rebooted 0$/);
    await waitFor(/^requests \d+, varbinds \d+/);
    assert.match(err.join('\n'), /unknown command "bogus"/);
    const r2 = await pollDevice(s, 'lab-0000', { maxRepetitions: 20 });
    assert.ok(r.sample.sysUpTime >= 50 && r2.sample.sysUpTime < r.sample.sysUpTime, `sysUpTime restarted: ${r.sample.sysUpTime} -> ${r2.sample.sysUpTime}`);
  } finally {
    s.close();
  }
  input.write('quit\n');
  assert.equal(await running, 0);
});
