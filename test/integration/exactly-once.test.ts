// Exactly-once effect against the real Kafka and InfluxDB: the processor (the real CLI in a child
// process) works through a fixed, pre-recorded sample stream. An uninterrupted run, a run killed with
// SIGKILL at several points and restarted each time, and two processors in one group with one
// killed midway must all leave InfluxDB holding exactly the windows the pure engine computes from
// the same stream: identical, window for window and field for field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, prepareTopics } from '../../common/bus/kafka.js';
import { repoRoot } from '../../common/package-root.js';
import { decodeSampleRecord, encodeCounterSample, encodeTrafficDelta, type CounterSampleInput, type TrafficDeltaInput } from '../../common/contracts/index.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { silentLogger } from '../../common/log.js';
import { createInfluxStore, MEASUREMENT_DEVICE, MEASUREMENT_INTERFACE, rowToWindow, windowToPoint } from '../../common/store/influx.js';
import { createWindowEngine } from '../../processor/core/index.js';
import { decodeCommitMeta } from '../../processor/pipeline/commit-meta.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

const PARTITIONS = 6;
const DEVICES = 12;
const IFACES = 6;
const POLL_MS = 5_000;
const POLLS = 48;
const WINDOW_S = 10;
const CHUNKS = 12;
const IDLE_S = 30;

interface Msg {
  partition: number;
  key: string;
  value: string;
  ts: number;
}

/** The pre-recorded stream: 12 devices x 6 interfaces polled every 5 s for 4 minutes, plus a pcap source. */
function recordStream(t0: number): Msg[] {
  const msgs: Msg[] = [];
  for (let d = 0; d < DEVICES; d++) {
    const deviceId = `eo-${String(d).padStart(2, '0')}`;
    const counters = Array.from({ length: IFACES }, () => ({ in: 0n, out: 0n, inP: 0n, outP: 0n }));
    for (let k = 0; k < POLLS; k++) {
      const ts = t0 + k * POLL_MS + ((d * 797 + k * 331) % 900);
      // Device 5 reboots before poll 20: sysUpTime restarts and its counters start again from zero.
      const rebooted = d === 5 && k >= 20;
      if (d === 5 && k === 20) for (const c of counters) Object.assign(c, { in: 0n, out: 0n, inP: 0n, outP: 0n });
      const sysUpTime = rebooted ? (k - 19) * 500 : 900_000 + k * 500;
      const interfaces = counters.map((c, i) => {
        const rate = 1_000 + ((d * 7 + i * 13 + k * 3) % 50) * 400;
        c.in += BigInt(rate * 5);
        c.out += BigInt(rate * 2);
        c.inP += BigInt(Math.ceil(rate / 100));
        c.outP += BigInt(Math.ceil(rate / 250));
        // Device 3 has 32-bit counters that start near the wrap.
        const width: 32 | 64 = d === 3 ? 32 : 64;
        const wrap = (v: bigint) => (width === 32 ? (v + (1n << 32n) - 20_000n) % (1n << 32n) : v);
        return { ifIndex: i + 1, name: `ge-0/0/${i}`, alias: '', speed: 1e9, operStatus: 'up' as const, width: width, inOctets: wrap(c.in), outOctets: wrap(c.out), inPackets: wrap(c.inP), outPackets: wrap(c.outP), discontinuityTime: 0 };
      });
      const s: CounterSampleInput = { deviceId, source: 'snmp', ts, sysUpTime, interfaces };
      msgs.push({ partition: d % PARTITIONS, key: deviceId, value: encodeCounterSample(s), ts });
    }
  }
  // A pcap import on partition 0: 1 s buckets over the first 100 s, the last one final.
  for (let s = 0; s < 100; s++) {
    const d: TrafficDeltaInput = { deviceId: 'eo-cap', source: 'pcap', ifIndex: 1, ifName: 'pcap', start: t0 + s * 1000, end: t0 + (s + 1) * 1000, inOctets: BigInt(1000 + s * 17), outOctets: BigInt(s * 3), inPackets: BigInt(1 + (s % 7)), outPackets: BigInt(s % 2), final: s === 99 };
    msgs.push({ partition: 0, key: 'eo-cap', value: encodeTrafficDelta(d), ts: d.end });
  }
  return msgs.sort((a, b) => a.ts - b.ts);
}

const jsonBig = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
const keyOf = (w: WindowResultInput) => `${w.deviceId}/${w.ifIndex ?? '-'}/${w.windowStart}`;

/** What InfluxDB makes of a window (the same round trip the store's reads do). */
function asStored(w: WindowResultInput): string {
  const p = windowToPoint(w);
  const row = { ...p.tags, ...p.fields, time: p.timestamp as Date };
  return jsonBig(rowToWindow(row, p.measurement === MEASUREMENT_DEVICE ? MEASUREMENT_DEVICE : MEASUREMENT_INTERFACE));
}

/** The pure engine over the same records, partition by partition, flushed at the end: the last value per window. */
function expectedWindows(msgs: Msg[], config: NetmonConfig): Map<string, string> {
  const engine = createWindowEngine({
    windowMs: WINDOW_S * 1000,
    outOfOrdernessMs: 2 * POLL_MS,
    allowedLatenessMs: config.processor.allowedLatenessSeconds * 1000,
    maxGapMs: config.processor.maxGapPolls * POLL_MS,
    maxRateFactor: config.processor.maxRateFactor,
    idleTimeoutMs: IDLE_S * 1000,
  });
  const out = new Map<string, string>();
  const take = (ws: WindowResultInput[]) => ws.forEach((w) => out.set(keyOf(w), asStored(w)));
  const offsets = new Array<number>(PARTITIONS).fill(0);
  // Processing time: each record's own time, as if processed live (the future bound holds).
  for (const m of msgs) take(engine.ingest(decodeSampleRecord(m.value), m.partition, m.ts, offsets[m.partition]++).windows);
  take(engine.tick(Number.MAX_SAFE_INTEGER).windows);
  return out;
}

async function storedWindows(config: NetmonConfig, t0: number): Promise<Map<string, string>> {
  const store = createInfluxStore(config.influx, { windowSeconds: WINDOW_S });
  const devices = [...Array.from({ length: DEVICES }, (_, d) => `eo-${String(d).padStart(2, '0')}`), 'eo-cap'];
  const out = new Map<string, string>();
  for (const deviceId of devices) {
    for (const w of await store.queryWindows({ deviceId, fromMs: t0 - 60_000, toMs: t0 + POLLS * POLL_MS + 120_000 })) out.set(keyOf(w), jsonBig(w));
  }
  return out;
}

function diff(got: Map<string, string>, want: Map<string, string>): string {
  const lines: string[] = [];
  for (const [k, v] of want) if (got.get(k) !== v) lines.push(`${k}: want ${v}\n   got ${got.get(k) ?? '(none)'}`);
  for (const k of got.keys()) if (!want.has(k)) lines.push(`${k}: not expected`);
  return `${lines.length} difference(s)\n${lines.slice(0, 5).join('\n')}`;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

interface Proc {
  child: ChildProcess;
  port: number;
  exited: Promise<number | null>;
  stderr: () => string;
}

/** `netmon processor` in a child process with its own /metrics port; killed after 5 minutes at the latest. */
async function startProcessor(dir: string, config: NetmonConfig, name: string): Promise<Proc> {
  const port = await freePort();
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    JSON.stringify({
      log: { level: 'warn' },
      kafka: { brokers: config.kafka.brokers, samplesPartitions: PARTITIONS, topics: config.kafka.topics },
      influx: { url: config.influx.url, database: config.influx.database },
      collector: { pollIntervalSeconds: POLL_MS / 1000 },
      // The stream is pre-recorded (hours old): only its last windows are for the idle flush to close.
      // A pause between two sends (a slow machine, a restart) must not close windows early, which
      // the uninterrupted run would not do (docs/architecture.md, replay limits).
      processor: { groupId: config.processor.groupId, windowSeconds: WINDOW_S, sessionTimeoutSeconds: 6, idleTimeoutSeconds: IDLE_S, metricsListen: `127.0.0.1:${port}` },
      devicesFile: 'devices.yaml',
    }),
  );
  const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'netmon.js'), 'processor', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      r(code);
    }),
  );
  return { child, port, exited, stderr: () => err };
}

/** Records this process consumed (new and replayed), from its /metrics; 0 until it serves them. */
async function progress(p: Proc): Promise<{ records: number; replayed: number }> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text();
    const num = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { records: num('netmon_processor_records_total'), replayed: num('netmon_processor_replayed_records_total') };
  } catch {
    return { records: 0, replayed: 0 };
  }
}

async function kill9(p: Proc): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

async function stop(p: Proc): Promise<void> {
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0, `processor exits cleanly on SIGTERM: ${p.stderr()}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('exactly-once: uninterrupted, killed and restarted, and two processors with one killed all write identical windows', { timeout: 600_000 }, async (t) => {
  const id = uniqueId('eo');
  const dir = mkdtempSync(join(tmpdir(), 'netmon-eo-'));
  writeFileSync(join(dir, 'devices.yaml'), 'devices: []\n');
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 3600_000;
  const msgs = recordStream(t0);
  const chunkSize = Math.ceil(msgs.length / CHUNKS);
  const chunks = Array.from({ length: CHUNKS }, (_, i) => msgs.slice(i * chunkSize, (i + 1) * chunkSize));

  const run = (name: string) =>
    testConfig(`${id}_${name}`, {
      kafka: { samplesPartitions: PARTITIONS },
      collector: { pollIntervalSeconds: POLL_MS / 1000 },
      processor: { windowSeconds: WINDOW_S, sessionTimeoutSeconds: 6 },
    });
  const ref = run('ref');
  const want = expectedWindows(msgs, ref);
  assert.ok(want.size > DEVICES * (IFACES + 1) * 20, `the stream makes windows (${want.size})`);

  const kafka = createKafka(silentLogger, ref.kafka, 'eo-test');
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const admin = kafka.admin();
  await admin.connect();
  const send = async (config: NetmonConfig, part: Msg[]) => {
    await producer.send({ topic: config.kafka.topics.samples, acks: -1, messages: part.map((m) => ({ partition: m.partition, key: m.key, value: m.value })) });
  };
  const procs: Proc[] = [];
  const started = async (config: NetmonConfig, name: string) => {
    const p = await startProcessor(dir, config, name);
    procs.push(p);
    return p;
  };
  const settled = async (config: NetmonConfig, what: string) => {
    let got = new Map<string, string>();
    try {
      await waitFor(what, async () => {
        got = await storedWindows(config, t0);
        return got.size === want.size && [...want].every(([k, v]) => got.get(k) === v);
      }, 150_000, 1000);
    } catch (err) {
      assert.fail(`${(err as Error).message}\n${diff(got, want)}`);
    }
    return got;
  };

  try {
    let reference = new Map<string, string>();
    await t.test('uninterrupted run', async () => {
      await prepareTopics(kafka, ref.kafka);
      for (const c of chunks) await send(ref, c);
      const p = await started(ref, 'ref');
      reference = await settled(ref, 'the uninterrupted run to write every window');
      await stop(p);
    });

    await t.test('killed with SIGKILL at four points and restarted each time', async () => {
      const cfg = run('kill');
      await prepareTopics(kafka, cfg.kafka);
      const counted = (n: number) => chunks.slice(0, n).reduce((s, c) => s + c.length, 0);
      let replayedSomewhere = 0;
      // 1: in the middle of the first chunks.
      let p = await started(cfg, 'kill-1');
      await send(cfg, chunks[0]);
      await send(cfg, chunks[1]);
      await send(cfg, chunks[2]);
      await waitFor('the first life to consume two chunks', async () => (await progress(p)).records >= counted(2), 60_000, 50);
      // Its first commit comes after the fence's hold (processor/pipeline/fence.ts): the kill must follow it.
      // A checkpoint past records (upto > 0): its offset is the replay start, which may still be 0 while the records are within the allowed lateness.
      const checkpointed = (x: { offset: string; metadata: string | null }) => Number(x.offset) >= 0 && (decodeCommitMeta(x.metadata)?.upto ?? 0) > 0;
      await waitFor('the first life to commit a checkpoint', async () => (await admin.fetchOffsets({ groupId: cfg.processor.groupId, topics: [cfg.kafka.topics.samples] })).some((t) => t.partitions.some(checkpointed)), 60_000, 50);
      await kill9(p);
      // 2: while it replays and takes new records.
      p = await started(cfg, 'kill-2');
      await send(cfg, chunks[3]);
      await send(cfg, chunks[4]);
      await waitFor('the second life to start consuming', async () => (await progress(p)).replayed + (await progress(p)).records > 0, 60_000, 20);
      await sleep(150);
      replayedSomewhere += (await progress(p)).replayed;
      await kill9(p);
      // 3: after it caught up, between chunks.
      p = await started(cfg, 'kill-3');
      for (const c of chunks.slice(5, 8)) await send(cfg, c);
      await waitFor('the third life to consume new records', async () => (await progress(p)).records > 0, 60_000, 50);
      await sleep(300);
      replayedSomewhere += (await progress(p)).replayed;
      await kill9(p);
      // 4: right after a restart, before it could commit anything.
      p = await started(cfg, 'kill-4');
      await waitFor('the fourth life to start consuming', async () => (await progress(p)).replayed + (await progress(p)).records > 0, 60_000, 20);
      replayedSomewhere += (await progress(p)).replayed;
      await kill9(p);
      // The last life finishes the stream.
      p = await started(cfg, 'kill-5');
      for (const c of chunks.slice(8)) await send(cfg, c);
      const got = await settled(cfg, 'the killed-and-restarted run to write every window');
      replayedSomewhere += (await progress(p)).replayed;
      await stop(p);
      assert.ok(replayedSomewhere > 0, 'the restarts replayed records (the kills hit uncommitted state)');
      assert.deepEqual(got, reference, 'identical to the uninterrupted run');
    });

    await t.test('two processors in one group, one killed midway', async () => {
      const cfg = run('pair');
      await prepareTopics(kafka, cfg.kafka);
      const a = await started(cfg, 'pair-a');
      const b = await started(cfg, 'pair-b');
      const consumed = async (p: Proc) => {
        const x = await progress(p);
        return x.records + x.replayed > 0;
      };
      // b joins while a already runs: a rebalance hands b half the partitions, restored from a's commits.
      for (const c of chunks.slice(0, 6)) {
        await send(cfg, c);
        await sleep(1000);
      }
      await waitFor('both members to consume', async () => (await consumed(a)) && (await consumed(b)), 90_000, 100);
      await kill9(a);
      // Keep the stream coming while the group notices (session timeout 6 s) and b takes over.
      for (const c of chunks.slice(6)) {
        await send(cfg, c);
        await sleep(1500);
      }
      const got = await settled(cfg, 'the surviving member to write every window');
      assert.ok((await progress(b)).replayed > 0, 'b replayed the partitions it took over');
      await stop(b);
      assert.deepEqual(got, reference, 'identical to the uninterrupted run');
    });
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await producer.disconnect();
    await admin.disconnect();
  }
});
