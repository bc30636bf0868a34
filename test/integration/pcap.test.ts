// pcap import end to end: a real capture of loopback UDP traffic (tcpdump -i lo) is imported with
// the real CLI (`netmon pcap import`, from a file and from stdin) while a processor runs against
// the stack; the per-window octets and packets in InfluxDB must EXACTLY equal what `tcpdump -r`
// itself reads from the same file (frame lengths and timestamps), grouped into the same 60 s epoch
// windows and split by the same direction rule. Also: a truncated copy publishes the packets before
// the cut and fails naming the place; a pcapng file and bad flags fail with clear messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../cli/services.js';
import { repoRoot } from '../../common/package-root.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { createLogger } from '../../common/log.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { createInfluxStore, type WindowStore } from '../../common/store/influx.js';
import { loaded, stackEnv, testConfig, uniqueId, waitFor } from './stack.js';
import { pcapngSectionHeader } from '../../collector/inputs/pcap/pcap.fixture.js';

const WINDOW_MS = 60_000;
const PORT = 40_000 + Math.floor(Math.random() * 20_000);
const LOCAL = '127.0.0.2';
const PAIRS = 60;

interface Totals {
  inOctets: bigint;
  outOctets: bigint;
  inPackets: bigint;
  outPackets: bigint;
}

interface Truth {
  frames: number;
  byWindow: Map<number, Totals>;
}

/**
 * The independent count: each frame's timestamp, length on the wire and source as `tcpdump -r -tt -e -n`
 * prints them, into 60 s epoch windows; out = source in the local network (127.0.0.2), else in.
 */
function tcpdumpTruth(file: string): Truth {
  const r = spawnSync('tcpdump', ['-r', file, '-tt', '-e', '-n'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  const byWindow = new Map<number, Totals>();
  let frames = 0;
  for (const line of r.stdout.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^(\d+)\.\d+ .*?, length (\d+): (\d+\.\d+\.\d+\.\d+)\.\d+ > /.exec(line);
    assert.ok(m, `a tcpdump line we understand: ${line}`);
    frames++;
    const w = Math.floor(Number(m[1]) / 60) * WINDOW_MS;
    const t = byWindow.get(w) ?? { inOctets: 0n, outOctets: 0n, inPackets: 0n, outPackets: 0n };
    byWindow.set(w, t);
    if (m[3] === LOCAL) {
      t.outOctets += BigInt(m[2]);
      t.outPackets++;
    } else {
      t.inOctets += BigInt(m[2]);
      t.inPackets++;
    }
  }
  return { frames, byWindow };
}

const sumTotals = (t: Truth): Totals =>
  [...t.byWindow.values()].reduce((a, b) => ({ inOctets: a.inOctets + b.inOctets, outOctets: a.outOctets + b.outOctets, inPackets: a.inPackets + b.inPackets, outPackets: a.outPackets + b.outPackets }), { inOctets: 0n, outOctets: 0n, inPackets: 0n, outPackets: 0n });

async function bindUdp(address: string, port: number): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, address, () => resolve());
  });
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Captures `PAIRS` request/response datagram pairs of varied sizes between 127.0.0.1 (remote) and
 * 127.0.0.2:PORT (local) with tcpdump, from 1.5 s before a minute boundary, so the capture spans
 * two windows. Bounded: tcpdump stops at the packet count, or is stopped after 20 s.
 */
async function captureLoopback(file: string): Promise<void> {
  const now = Date.now();
  let boundary = Math.ceil(now / WINDOW_MS) * WINDOW_MS;
  if (boundary - now < 4000) boundary += WINDOW_MS;
  const td = spawn('tcpdump', ['-i', 'lo', '-Z', 'root', '-U', '-n', '-s', '128', '-c', String(2 * PAIRS), '-w', file, `udp and port ${PORT}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((r) => td.once('exit', (code) => r(code)));
  let stderr = '';
  td.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor('tcpdump to listen on lo', () => stderr.includes('listening on'), 10_000, 50);
  const local = await bindUdp(LOCAL, PORT);
  const remote = await bindUdp('127.0.0.1', 0);
  local.on('message', (msg, from) => local.send(Buffer.alloc((msg.length * 7) % 900 + 1, 0x62), from.port, from.address));
  remote.on('message', () => undefined);
  try {
    await sleep(Math.max(0, boundary - 1500 - Date.now()));
    for (let i = 0; i < PAIRS; i++) {
      remote.send(Buffer.alloc(1 + ((i * 257) % 1400), 0x61), PORT, LOCAL);
      await sleep(50);
    }
    const timer = setTimeout(() => td.kill('SIGINT'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    assert.equal(code, 0, `tcpdump: ${stderr}`);
  } finally {
    local.close();
    remote.close();
  }
}

/** The real CLI in a child process; `stdinFile` is piped into it (`cat FILE | netmon ...`). Bounded by 90 s. */
function netmon(args: string[], env: NodeJS.ProcessEnv, stdinFile?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'netmon.js'), ...args], { env, stdio: [stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  if (stdinFile) createReadStream(stdinFile).pipe(child.stdin!);
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Writes a config file with the test's own topics, group and database (and an empty device list). */
function writeConfig(dir: string, config: NetmonConfig): string {
  const file = join(dir, 'netmon.yaml');
  writeFileSync(join(dir, 'devices.yaml'), 'devices: []\n');
  writeFileSync(
    file,
    JSON.stringify({
      log: { level: 'warn' },
      kafka: { brokers: config.kafka.brokers, samplesPartitions: config.kafka.samplesPartitions, topics: config.kafka.topics },
      influx: { url: config.influx.url, database: config.influx.database },
      processor: { groupId: config.processor.groupId, windowSeconds: config.processor.windowSeconds },
      devicesFile: 'devices.yaml',
    }),
  );
  return file;
}

/** Waits until InfluxDB holds exactly the expected windows for the device, then asserts them exactly. */
async function assertWindows(store: WindowStore, deviceId: string, truth: Truth, report: (s: string) => void): Promise<void> {
  const starts = [...truth.byWindow.keys()].sort((a, b) => a - b);
  const range = { fromMs: starts[0] - WINDOW_MS, toMs: starts[starts.length - 1] + 2 * WINDOW_MS };
  const key = (t: Totals) => `in ${t.inOctets} B / ${t.inPackets} pkt, out ${t.outOctets} B / ${t.outPackets} pkt`;
  const stored = async () => {
    const rows = await store.queryWindows({ deviceId, ...range });
    return {
      iface: new Map(rows.filter((w) => w.ifIndex === 1).map((w) => [w.windowStart, key(w)])),
      device: new Map(rows.filter((w) => w.ifIndex === null).map((w) => [w.windowStart, key(w)])),
      names: new Set(rows.filter((w) => w.ifIndex === 1).map((w) => w.ifName)),
    };
  };
  const want = new Map(starts.map((s) => [s, key(truth.byWindow.get(s)!)]));
  const same = (got: Map<number, string>) => got.size === want.size && [...want].every(([s, k]) => got.get(s) === k);
  await waitFor(`${deviceId}: the windows in InfluxDB to match tcpdump's count`, async () => {
    const got = await stored();
    return same(got.iface) && same(got.device);
  }, 60_000, 500).catch(() => undefined);
  const got = await stored();
  for (const [s, k] of want) report(`${deviceId} window ${new Date(s).toISOString()}: tcpdump ${k}; InfluxDB ${got.iface.get(s) ?? '(none)'}`);
  assert.deepEqual(got.iface, want, `${deviceId}: interface windows equal tcpdump's counts exactly`);
  assert.deepEqual(got.device, want, `${deviceId}: device rollup windows equal tcpdump's counts exactly`);
  assert.deepEqual([...got.names], ['pcap'], 'the capture is interface 1 "pcap"');
}

/** Byte offsets of each record header in a classic pcap file (walking the record headers). */
function recordOffsets(buf: Buffer): number[] {
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const offsets: number[] = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    offsets.push(off);
    off += 16 + (le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8));
  }
  return offsets;
}

test('pcap import: per-window octets and packets in InfluxDB equal tcpdump\'s count of the same capture (file, stdin, truncated); pcapng and bad flags fail clearly', { timeout: 300_000 }, async (t) => {
  const env = stackEnv();
  const id = uniqueId('pcap');
  const config = testConfig(id, { processor: { windowSeconds: 60 } });
  const dir = mkdtempSync(join(tmpdir(), 'netmon-pcap-'));
  const configFile = writeConfig(dir, config);
  const cliEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NETMON_STACK_ENV: join(dir, 'no-stack-env'),
    NETMON_KAFKA_BROKERS: env.kafkaBrokers.join(','),
    NETMON_INFLUX_URL: env.influxUrl,
    NETMON_INFLUX_DATABASE: config.influx.database,
  };
  const importArgs = (file: string, device: string) => ['pcap', 'import', file, '--device', device, '--local-net', `${LOCAL}/32`, '--local-net', 'fd00::/8', '--config', configFile];
  const report = (s: string) => t.diagnostic(s);

  // Usage and format errors come first: they need no capture, and pcapng fails before Kafka.
  const badCidr = await netmon(['pcap', 'import', '-', '--device', 'x', '--local-net', '10.0.0.0/33', '--config', configFile], cliEnv);
  assert.equal(badCidr.code, 2, badCidr.stderr);
  assert.match(badCidr.stderr, /--local-net: "10\.0\.0\.0\/33" is not a CIDR \(prefix length must be 0\.\.32\)/);
  const noDevice = await netmon(['pcap', 'import', 'x.pcap', '--config', configFile], cliEnv);
  assert.equal(noDevice.code, 2);
  assert.match(noDevice.stderr, /--device ID is required/);
  const pcapng = join(dir, 'capture.pcapng');
  writeFileSync(pcapng, pcapngSectionHeader());
  const ng = await netmon(importArgs(pcapng, 'pcaptest-ng'), cliEnv);
  assert.equal(ng.code, 1, ng.stderr);
  assert.match(ng.stderr, /capture\.pcapng is a pcapng file; netmon reads classic pcap only: convert it to classic pcap with `editcap -F pcap in\.pcapng out\.pcap`.*`tcpdump -r in\.pcapng -w out\.pcap`/);
  assert.match(ng.stderr, /NETMON_ERR_PCAP/);

  const file = join(dir, 'lo.pcap');
  await captureLoopback(file);
  const truth = tcpdumpTruth(file);
  const total = sumTotals(truth);
  report(`captured ${truth.frames} frames over ${truth.byWindow.size} window(s): ${JSON.stringify(total, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`);
  assert.equal(truth.frames, 2 * PAIRS, 'every datagram was captured once');
  assert.equal(total.inPackets, BigInt(PAIRS));
  assert.equal(total.outPackets, BigInt(PAIRS));

  // The processor runs in this process, with the same config the CLI reads from the file.
  const log = createLogger({ level: config.log.level, destination: process.stderr });
  const { components } = assemble(log, loaded(config, []), ['processor']);
  const supervisor = createSupervisor(log);
  const running = supervisor.run(components, { handleSignals: false });
  const store = createInfluxStore(config.influx);
  try {
    const fromFile = await netmon(importArgs(file, 'pcaptest'), cliEnv);
    for (const line of fromFile.stdout.trim().split('\n')) report(line);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.match(fromFile.stdout, new RegExp(`packets: ${truth.frames} \\(in ${total.inPackets}, out ${total.outPackets}; 0 without a decidable direction`));
    assert.match(fromFile.stdout, new RegExp(`octets: in ${total.inOctets}, out ${total.outOctets}`));
    assert.match(fromFile.stdout, /records published: \d+ one-second buckets? to .*\.samples \(the last with final=true\)/);
    await assertWindows(store, 'pcaptest', truth, report);

    const fromStdin = await netmon(importArgs('-', 'pcaptest-stdin'), cliEnv, file);
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.match(fromStdin.stdout, /^imported stdin /);
    await assertWindows(store, 'pcaptest-stdin', truth, report);

    // A copy cut in the middle of a record two thirds in: tcpdump reads the packets before the cut
    // (and complains), and so must netmon, publishing exactly those.
    const whole = readFileSync(file);
    const offsets = recordOffsets(whole);
    const k = Math.floor((offsets.length * 2) / 3);
    const cutFile = join(dir, 'cut.pcap');
    writeFileSync(cutFile, whole.subarray(0, offsets[k] + 16 + 5));
    const cutTruth = tcpdumpTruth(cutFile);
    assert.equal(cutTruth.frames, k, 'tcpdump reads the packets before the cut');
    const cut = await netmon(importArgs(cutFile, 'pcaptest-cut'), cliEnv);
    report(cut.stderr.trim());
    assert.equal(cut.code, 1, cut.stderr);
    assert.match(cut.stderr, new RegExp(`cut\\.pcap is truncated at byte offset ${offsets[k]} \\(${offsets[k] + 21} bytes in all\\): packet #${k + 1} declares \\d+ captured bytes but only 5 follow its record header; the ${k} packets before it were read \\[NETMON_ERR_PCAP\\]`));
    assert.match(cut.stdout, new RegExp(`packets: ${k} `));
    await assertWindows(store, 'pcaptest-cut', cutTruth, report);
  } finally {
    supervisor.shutdown('test finished');
    assert.equal(await running, 0, 'processor stops cleanly');
  }
});
