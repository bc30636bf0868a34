// An InfluxDB outage longer than the allowed lateness loses nothing: the stack's InfluxDB is paused
// (SIGSTOP by its pid file) while a device keeps sending a sample every 5 s, then resumed. The
// processor's watermarks follow event time only (the idle tick needs "caught up and nothing
// pending"), so the backlog is processed in order when the store answers again: no dead letter,
// and InfluxDB holds exactly the windows the pure engine computes from the same records (field for
// field; revision numbers aside, which depend on when windows were emitted). Scaled: 10 s windows,
// 5 s polls, 30 s allowed lateness, a 90 s pause: the write-behind queue holds the first ~25 s of
// it, so a tick that took the blocked time for idleness would make ~55 s of backlog late (measured:
// the same test with the ungated tick dead-letters records). Pauses the stack's InfluxDB: run it on
// a stack of its own (NETMON_STACK_ENV), serially.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../common/package-root.js';
import { parseEnvFile } from '../../cli/stack-env.js';
import { createKafka, defaultPartitioner, prepareTopics } from '../../common/bus/kafka.js';
import { systemClock } from '../../common/clock.js';
import { decodeSampleRecord, encodeCounterSample, type CounterSampleInput } from '../../common/contracts/index.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createInfluxStore } from '../../common/store/influx.js';
import { createWindowEngine } from '../../processor/core/index.js';
import { createProcessorService } from '../../processor/main.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

const POLL_MS = 5_000;
const WINDOW_S = 10;
const LATENESS_S = 30;
const BEFORE_MS = 20_000;
const PAUSE_MS = 90_000;
const AFTER_MS = 20_000;

function influxPid(): number {
  const env = parseEnvFile(readFileSync(process.env.NETMON_STACK_ENV ?? join(repoRoot(), '.stack', 'env'), 'utf8'));
  const pid = Number(readFileSync(env.NETMON_INFLUX_PID_FILE, 'utf8').trim());
  assert.ok(pid > 0, 'the stack runs InfluxDB');
  return pid;
}

const jsonBig = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
const keyOf = (w: WindowResultInput) => `${w.deviceId}/${w.ifIndex ?? '-'}/${w.windowStart}`;
/** A window's values without its revision (which depends on when it was emitted). */
const valuesOf = (w: WindowResultInput) => jsonBig({ ...w, revision: 0 });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('InfluxDB paused longer than the allowed lateness: nothing late, nothing lost, windows exact', { timeout: 300_000 }, async () => {
  const id = uniqueId('pause');
  const config = testConfig(id, {
    kafka: { samplesPartitions: 1 },
    collector: { pollIntervalSeconds: POLL_MS / 1000 },
    processor: { windowSeconds: WINDOW_S, allowedLatenessSeconds: LATENESS_S },
  });
  const registry = createRegistry({ defaultMetrics: false });
  const { components } = createProcessorService(silentLogger, { ...config, rules: [], rulesFile: null, devices: [] }, { registry, clock: systemClock });
  const supervisor = createSupervisor(silentLogger);
  const running = supervisor.run(components, { handleSignals: false });
  const kafka = createKafka(silentLogger, config.kafka, 'pause-test');
  await prepareTopics(kafka, config.kafka);
  const producer = kafka.producer({ createPartitioner: defaultPartitioner });
  await producer.connect();
  const admin = kafka.admin();
  await admin.connect();
  const pid = influxPid();
  let paused = false;
  const sent: string[] = [];
  try {
    let k = 0;
    const sample = (ts: number): CounterSampleInput => ({
      deviceId: 'paused-store', source: 'snmp', ts, sysUpTime: 100_000 + k * 500,
      interfaces: [{ ifIndex: 1, name: 'eth0', alias: '', speed: 1e9, operStatus: 'up', width: 64, inOctets: 1_000_000n + BigInt(k) * 7_919n, outOctets: BigInt(k) * 101n, inPackets: BigInt(k) * 13n, outPackets: BigInt(k) * 3n, discontinuityTime: 0 }],
    });
    const t0 = Date.now();
    const sendUntil = async (end: number) => {
      while (Date.now() - t0 < end) {
        const value = encodeCounterSample(sample(Date.now()));
        sent.push(value);
        k++;
        await producer.send({ topic: config.kafka.topics.samples, messages: [{ key: 'paused-store', value }] });
        await sleep(POLL_MS);
      }
    };
    await sendUntil(BEFORE_MS);
    process.kill(pid, 'SIGSTOP');
    paused = true;
    await sendUntil(BEFORE_MS + PAUSE_MS);
    process.kill(pid, 'SIGCONT');
    paused = false;
    await sendUntil(BEFORE_MS + PAUSE_MS + AFTER_MS);

    // The same records through the pure engine, flushed at the end: what InfluxDB must end up holding.
    const engine = createWindowEngine({ windowMs: WINDOW_S * 1000, outOfOrdernessMs: 2 * POLL_MS, allowedLatenessMs: LATENESS_S * 1000, maxGapMs: 5 * POLL_MS, idleTimeoutMs: 10_000 });
    const want = new Map<string, string>();
    const take = (ws: WindowResultInput[]) => ws.forEach((w) => want.set(keyOf(w), valuesOf(w)));
    sent.forEach((v, i) => {
      const r = decodeSampleRecord(v);
      take(engine.ingest(r, 0, r.kind === 'counter-sample' ? r.ts : 0, i).windows);
    });
    take(engine.tick(Number.MAX_SAFE_INTEGER).windows);
    assert.ok(want.size >= 2 * ((BEFORE_MS + PAUSE_MS + AFTER_MS) / (WINDOW_S * 1000) - 1), `${want.size} expected windows`);

    const store = createInfluxStore(config.influx, { windowSeconds: WINDOW_S });
    const got = await waitFor('InfluxDB to hold every window with its final values', async () => {
      const rows = await store.queryWindows({ deviceId: 'paused-store', fromMs: t0 - 60_000, toMs: Date.now() + 60_000 });
      const m = new Map(rows.map((w) => [keyOf(w), valuesOf(w)]));
      for (const [key, v] of want) if (m.get(key) !== v) return null;
      return m;
    }, 90_000, 500).catch(async (err: unknown) => {
      const rows = await store.queryWindows({ deviceId: 'paused-store', fromMs: t0 - 60_000, toMs: Date.now() + 60_000 });
      const m = new Map(rows.map((w) => [keyOf(w), valuesOf(w)]));
      for (const [key, v] of want) assert.equal(m.get(key), v, `window ${key}`);
      throw err;
    });
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'no window beyond the expected ones');
    const dl = await admin.fetchTopicOffsets(config.kafka.topics.deadletter);
    assert.deepEqual(dl.map((p) => p.high), dl.map(() => '0'), 'no dead letter');
  } finally {
    if (paused) process.kill(pid, 'SIGCONT');
    await producer.disconnect();
    await admin.disconnect();
    supervisor.shutdown('test finished');
    await running;
  }
});
