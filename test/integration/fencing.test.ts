// Fencing against the real Kafka and InfluxDB: two `netmon processor` processes in one group
// (session timeout 10 s), records flowing; one is stopped with SIGSTOP past the session timeout while
// the other takes its partitions over and more records arrive (late ones among them, which revise
// windows already written), then resumed with SIGCONT. InfluxDB and netmon.windows must end up as the
// pure engine computes from the same records (an uninterrupted run, as exactly-once.test.ts shows),
// field for field, the last record per window; the stalled member must write nothing after its lease
// ended (its fence metrics), the group's committed offsets must never go back, and the resumed
// member must rejoin and consume again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, prepareTopics, type Admin } from '../../common/bus/kafka.js';
import { repoRoot } from '../../common/package-root.js';
import { decodeSampleRecord, encodeCounterSample, encodeTrafficDelta, type CounterSampleInput, type TrafficDeltaInput } from '../../common/contracts/index.js';
import { encodeWindowResult, type WindowResultInput } from '../../common/contracts/window-result.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { silentLogger } from '../../common/log.js';
import { createInfluxStore, MEASUREMENT_DEVICE, MEASUREMENT_INTERFACE, rowToWindow, windowToPoint } from '../../common/store/influx.js';
import { createWindowEngine } from '../../processor/core/index.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

const PARTITIONS = 4;
const DEVICES = 8;
const IFACES = 2;
const POLL_MS = 5_000;
const POLLS = 100;
const WINDOW_S = 10;
const SESSION_S = 10;
/** Records per send, one send every SEND_EVERY_MS: every partition gets records about every second (no idle flush mid-stream). */
const PER_SEND = 3;
const SEND_EVERY_MS = 300;

interface Msg {
  partition: number;
  key: string;
  value: string;
  /** Send order: event time for on-time records, later for late ones. */
  ts: number;
}

/** 8 devices x 2 interfaces polled every 5 s for 500 s, a pcap source in 5 s buckets, and late pcap buckets 45 s behind. */
function recordStream(t0: number): Msg[] {
  const msgs: Msg[] = [];
  for (let d = 0; d < DEVICES; d++) {
    const deviceId = `fe-${d}`;
    const c = Array.from({ length: IFACES }, () => ({ in: 0n, out: 0n, inP: 0n, outP: 0n }));
    for (let k = 0; k < POLLS; k++) {
      const ts = t0 + k * POLL_MS + ((d * 797 + k * 331) % 900);
      const interfaces = c.map((x, i) => {
        const rate = 1_000 + ((d * 7 + i * 13 + k * 3) % 50) * 400;
        x.in += BigInt(rate * 5);
        x.out += BigInt(rate * 2);
        x.inP += BigInt(Math.ceil(rate / 100));
        x.outP += BigInt(Math.ceil(rate / 250));
        return { ifIndex: i + 1, name: `ge-0/0/${i}`, alias: '', speed: 1e9, operStatus: 'up' as const, width: 64 as const, inOctets: x.in, outOctets: x.out, inPackets: x.inP, outPackets: x.outP, discontinuityTime: 0 };
      });
      const s: CounterSampleInput = { deviceId, source: 'snmp', ts, sysUpTime: 900_000 + k * 500, interfaces };
      msgs.push({ partition: d % PARTITIONS, key: deviceId, value: encodeCounterSample(s), ts });
    }
  }
  const delta = (start: number, end: number, n: number): TrafficDeltaInput => ({ deviceId: 'fe-cap', source: 'pcap', ifIndex: 1, ifName: 'pcap', start, end, inOctets: BigInt(1000 + n * 17), outOctets: BigInt(n * 3), inPackets: BigInt(1 + (n % 7)), outPackets: BigInt(n % 2), final: false });
  for (let s = 0; s < POLLS; s++) {
    const d = delta(t0 + s * POLL_MS, t0 + (s + 1) * POLL_MS, s);
    msgs.push({ partition: 1, key: 'fe-cap', value: encodeTrafficDelta(d), ts: d.end });
    // Every third bucket, a late one for a window the watermark passed 35 s ago: a new revision.
    if (s >= 10 && s % 3 === 0) msgs.push({ partition: 1, key: 'fe-cap', value: encodeTrafficDelta(delta(d.end - 45_000, d.end - 44_000, 1000 + s)), ts: d.end + 1 });
  }
  return msgs.sort((a, b) => a.ts - b.ts);
}

const jsonBig = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
const keyOf = (w: Pick<WindowResultInput, 'deviceId' | 'ifIndex' | 'windowStart'>) => `${w.deviceId}/${w.ifIndex ?? '-'}/${w.windowStart}`;

/** What InfluxDB makes of a window (the same round trip the store's reads do). */
function asStored(w: WindowResultInput): string {
  const p = windowToPoint(w);
  const row = { ...p.tags, ...p.fields, time: p.timestamp as Date };
  return jsonBig(rowToWindow(row, p.measurement === MEASUREMENT_DEVICE ? MEASUREMENT_DEVICE : MEASUREMENT_INTERFACE));
}

/** The pure engine over the same records in the same order per partition, flushed at the end: the last emission per window. */
function expectedWindows(msgs: Msg[], config: NetmonConfig): Map<string, WindowResultInput> {
  const engine = createWindowEngine({
    windowMs: WINDOW_S * 1000,
    outOfOrdernessMs: 2 * POLL_MS,
    allowedLatenessMs: config.processor.allowedLatenessSeconds * 1000,
    maxGapMs: config.processor.maxGapPolls * POLL_MS,
    maxRateFactor: config.processor.maxRateFactor,
    idleTimeoutMs: Math.max(2 * POLL_MS, 10_000),
  });
  const out = new Map<string, WindowResultInput>();
  const take = (ws: WindowResultInput[]) => ws.forEach((w) => out.set(keyOf(w), w));
  const offsets = new Array<number>(PARTITIONS).fill(0);
  let revised = 0;
  for (const m of msgs) {
    // Processing time: when the record was sent (the future bound measures event time against it).
    const r = engine.ingest(decodeSampleRecord(m.value), m.partition, m.ts, offsets[m.partition]++);
    revised += r.windows.filter((w) => w.revision > 0).length;
    take(r.windows);
  }
  take(engine.tick(Number.MAX_SAFE_INTEGER).windows);
  assert.ok(revised > 10, `the late records revise windows (${revised} revisions)`);
  return out;
}

async function storedWindows(config: NetmonConfig, t0: number): Promise<Map<string, string>> {
  const store = createInfluxStore(config.influx, { windowSeconds: WINDOW_S });
  const out = new Map<string, string>();
  for (const deviceId of [...Array.from({ length: DEVICES }, (_, d) => `fe-${d}`), 'fe-cap']) {
    for (const w of await store.queryWindows({ deviceId, fromMs: t0 - 60_000, toMs: t0 + POLLS * POLL_MS + 120_000 })) out.set(keyOf(w), jsonBig(w));
  }
  return out;
}

/** The last record per window on netmon.windows (what a consumer that keeps the latest ends with). */
async function topicWindows(config: NetmonConfig, admin: Admin): Promise<Map<string, string>> {
  const kafka = createKafka(silentLogger, config.kafka, 'fe-read');
  const topic = config.kafka.topics.windows;
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  const consumer = kafka.consumer({ groupId: uniqueId('fe-read') });
  const out = new Map<string, string>();
  const seen = new Map<number, number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const v = message.value?.toString('utf8');
        if (v) {
          const w = JSON.parse(v) as { deviceId: string; ifIndex: number | null; windowStart: number };
          out.set(keyOf(w), v);
        }
        seen.set(partition, Number(message.offset) + 1);
        await Promise.resolve();
      },
    });
    await waitFor('the windows topic read to its end', () => [...ends].every(([p, end]) => (seen.get(p) ?? 0) >= end), 60_000, 100);
  } finally {
    await consumer.disconnect();
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

/** `netmon processor` in a child process with its own /metrics port; killed after 8 minutes at the latest. */
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
      processor: { groupId: config.processor.groupId, windowSeconds: WINDOW_S, sessionTimeoutSeconds: SESSION_S, metricsListen: `127.0.0.1:${port}` },
      devicesFile: 'devices.yaml',
    }),
  );
  const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'netmon.js'), 'processor', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-6000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 480_000);
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      r(code);
    }),
  );
  return { child, port, exited, stderr: () => err };
}

/** A metric of the process (labelled series summed); 0 until it serves them. */
async function metric(p: Proc, name: string): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${p.port}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
    let sum = 0;
    for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)$`, 'gm'))) sum += Number(m[1]);
    return sum;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('fencing: a processor stalled past the session timeout writes nothing after the takeover; the result equals an uninterrupted run', { timeout: 600_000 }, async () => {
  const id = uniqueId('fe');
  const dir = mkdtempSync(join(tmpdir(), 'netmon-fe-'));
  writeFileSync(join(dir, 'devices.yaml'), 'devices: []\n');
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 3600_000;
  const cfg = testConfig(id, { kafka: { samplesPartitions: PARTITIONS }, collector: { pollIntervalSeconds: POLL_MS / 1000 }, processor: { windowSeconds: WINDOW_S, sessionTimeoutSeconds: SESSION_S } });
  const msgs = recordStream(t0);
  const want = expectedWindows(msgs, cfg);
  const wantStored = new Map([...want].map(([k, w]) => [k, asStored(w)]));
  const wantTopic = new Map([...want].map(([k, w]) => [k, encodeWindowResult(w)]));

  const kafka = createKafka(silentLogger, cfg.kafka, 'fe-test');
  await prepareTopics(kafka, cfg.kafka);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const admin = kafka.admin();
  await producer.connect();
  await admin.connect();
  const procs: Proc[] = [];
  // Committed offsets, watched all along: never lower than before, per partition.
  const committed = new Map<number, number>();
  const backwards: string[] = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      try {
        for (const t of await admin.fetchOffsets({ groupId: cfg.processor.groupId, topics: [cfg.kafka.topics.samples] })) {
          for (const p of t.partitions) {
            const o = Number(p.offset);
            if (o < 0) continue;
            const before = committed.get(p.partition) ?? -1;
            if (o < before) backwards.push(`partition ${p.partition}: ${before} -> ${o}`);
            committed.set(p.partition, Math.max(before, o));
          }
        }
      } catch {
        // The next poll reads them again.
      }
      await sleep(200);
    }
  })();
  let next = 0;
  /** Sends the next records at the stream's pace until `done` holds (`what`, asserted) or `max` records were sent (`what` null). */
  const sendWhile = async (what: string | null, done: () => Promise<boolean>, max: number): Promise<void> => {
    const stop = Math.min(msgs.length, next + max);
    while (next < stop) {
      if (what !== null && (await done())) return;
      const part = msgs.slice(next, Math.min(stop, next + PER_SEND));
      next += part.length;
      await producer.send({ topic: cfg.kafka.topics.samples, acks: -1, messages: part.map((m) => ({ partition: m.partition, key: m.key, value: m.value })) });
      await sleep(SEND_EVERY_MS);
    }
    if (what !== null) assert.ok(await done(), `${what} within ${max} records`);
  };

  try {
    const a = await startProcessor(dir, cfg, 'a');
    procs.push(a);
    const b = await startProcessor(dir, cfg, 'b');
    procs.push(b);
    const consumed = async (p: Proc) => (await metric(p, 'netmon_processor_records_total')) > 0;
    // Phase 1: both consume (a rebalance hands b part of the partitions) and write.
    await sendWhile('both members consuming and writing', async () => (await consumed(a)) && (await consumed(b)) && (await metric(a, 'netmon_processor_windows_written_total')) > 0, 200);
    await sendWhile(null, () => Promise.resolve(false), 30);
    const epochB = await metric(b, 'netmon_processor_fence_epoch');
    const epochA = await metric(a, 'netmon_processor_fence_epoch');
    assert.ok(epochA >= 1);
    assert.equal(await metric(a, 'netmon_processor_fence_late_writes_total'), 0);

    // Phase 2: a stalls; b takes its partitions over once the session times out; late records arrive meanwhile.
    a.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    await sendWhile('b to take over', async () => (await metric(b, 'netmon_processor_fence_epoch')) > epochB, 400);
    // Keep a stopped past the session timeout by a margin, b writing the partitions it took.
    await sendWhile('a stopped for 1.5 session timeouts', () => Promise.resolve(Date.now() - stoppedAt > SESSION_S * 1500), 200);
    const writtenB = await metric(b, 'netmon_processor_windows_written_total');
    await sendWhile('b to write after the takeover', async () => (await metric(b, 'netmon_processor_windows_written_total')) > writtenB, 100);

    // Phase 3: a resumes, finds its lease ended, rejoins and consumes again.
    a.child.kill('SIGCONT');
    await sendWhile('a to rejoin', async () => (await metric(a, 'netmon_processor_fence_epoch')) > epochA, 200);
    const recordsA = await metric(a, 'netmon_processor_records_total');
    await sendWhile('a to consume again', async () => (await metric(a, 'netmon_processor_records_total')) > recordsA, 200);
    await sendWhile(null, () => Promise.resolve(false), msgs.length);
    assert.equal(next, msgs.length, 'the whole stream was sent');

    let got = new Map<string, string>();
    try {
      await waitFor('InfluxDB to hold the uninterrupted run\'s windows', async () => {
        got = await storedWindows(cfg, t0);
        return got.size === wantStored.size && [...wantStored].every(([k, v]) => got.get(k) === v);
      }, 120_000, 1000);
    } catch (err) {
      assert.fail(`${(err as Error).message}\n${diff(got, wantStored)}\n--- a:\n${a.stderr()}\n--- b:\n${b.stderr()}`);
    }
    const topic = await topicWindows(cfg, admin);
    assert.equal(diff(topic, wantTopic), '0 difference(s)\n', 'netmon.windows: the last record per window is the uninterrupted run\'s');

    const fenceA = {
      lapses: await metric(a, 'netmon_processor_fence_lapses_total'),
      late: await metric(a, 'netmon_processor_fence_late_writes_total'),
      refused: await metric(a, 'netmon_processor_fence_refused_writes_total'),
      dropped: await metric(a, 'netmon_processor_fence_dropped_total'),
      epoch: await metric(a, 'netmon_processor_fence_epoch'),
    };
    console.log(`fencing: ${msgs.length} records, ${want.size} windows; stalled member: ${jsonBig(fenceA)}; committed offsets ${jsonBig([...committed])}`);
    assert.ok(fenceA.lapses >= 1, 'the stalled member saw its lease end');
    assert.equal(fenceA.late, 0, 'no write of the stalled member completed after its lease ended');
    assert.ok(fenceA.refused + fenceA.dropped > 0, 'the stalled member had output when it resumed, and did not write it');
    assert.deepEqual(backwards, [], 'committed offsets never went back');
    assert.equal(await metric(b, 'netmon_processor_fence_late_writes_total'), 0);
  } finally {
    watching = false;
    await watcher;
    for (const p of procs) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGCONT');
        p.child.kill('SIGKILL');
      }
    }
    await Promise.all(procs.map((p) => p.exited));
    await producer.disconnect();
    await admin.disconnect();
  }
});
