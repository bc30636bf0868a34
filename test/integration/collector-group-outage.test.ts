// Collectors in a group through a Kafka outage, on the real stack: 30 lab devices, three
// `netmon collector` child processes in one group, a processor in this process. The broker is
// SIGKILLed for longer than the group's session timeout and started again; later it is SIGSTOPped
// past every timeout (session, request, retries) and SIGCONTed. The broker is the stack's own
// (signalled by its pid file, restarted by the stack script): run this file alone, against a stack
// nobody else uses at the time.
// Expected, from the samples topic (read with duplicates of a re-read removed by offset): no collector
// exits; no device is ever polled twice in one poll slot; every device is polled in every slot,
// during the outages too (the samples wait in the publishers' queues), except while the group
// re-forms after an outage (polls are held during a rebalance, and a device that changes owner waits
// until its old owner must have stopped: collector/group/takeover.ts); the group re-forms by itself, with
// the three members sharing all the devices again. From InfluxDB: every complete window's octets
// equal the lab's ground truth and windows with less than full coverage lie only around a re-forming;
// a window may be absent only there and only where the polls around it are further apart than the
// processor's maximum gap (a re-forming holds the polls of a device that changes owner that long:
// the takeover wait, and kafkajs members that crash and join again one by one).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../cli/services.js';
import type { Lab } from '../../collector/lab/lab.js';
import { phaseMs } from '../../collector/inputs/snmp/schedule.js';
import { createKafka, prepareTopics } from '../../common/bus/kafka.js';
import { decodeCounterSample } from '../../common/contracts/index.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createInfluxStore } from '../../common/store/influx.js';
import { signalServer, stackUp } from './fault-procs.js';
import { startCollector, startLabOnFreePorts, type CollectorProc } from './collector-procs.js';
import { loaded, testConfig, uniqueId, waitFor } from './stack.js';

const DEVICES = 30;
const PORTS = 2;
const POLL_S = 2;
const I = POLL_S * 1000;
const SESSION_MS = 6000;
const HEARTBEAT_MS = 500;
const WINDOW_S = 10;
/** processor.maxGapPolls (its default): a counter delta spanning more poll intervals is a gap, not spread. */
const MAX_GAP_POLLS = 5;
const W = WINDOW_S * 1000;
/** The broker stays dead this long: twice the session timeout. */
const KILLED_MS = 2 * SESSION_MS;
/** The broker stays stopped past every timeout a client has (kafkajs' request timeout is 30 s). */
const STOPPED_MS = 35_000;
/** The group counts as re-formed once no member has had a new share for this long. */
const QUIET_MS = SESSION_MS + 2000;

let lab: Lab;
before(async () => {
  lab = await startLabOnFreePorts({ devices: DEVICES, ports: PORTS }, 35161, 45000);
});
after(async () => {
  await lab?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

test('three collectors in a group through a broker kill and a broker stop: nothing lost, one poll per slot, windows equal the ground truth', { timeout: 400_000 }, async (t) => {
  const id = uniqueId('cgout');
  const config = testConfig(id, {
    kafka: { samplesPartitions: 3, collectorStatePartitions: 12 },
    collector: { pollIntervalSeconds: POLL_S, timeoutMs: 800, retries: 1, sessionTimeoutMs: SESSION_MS, heartbeatIntervalMs: HEARTBEAT_MS },
    processor: { windowSeconds: WINDOW_S, maxGapPolls: MAX_GAP_POLLS },
  });
  const dir = mkdtempSync(join(tmpdir(), 'netmon-cgout-'));
  const entries = lab.deviceEntries('2c');
  writeFileSync(join(dir, 'devices.yaml'), JSON.stringify({ devices: entries }));
  const file = join(dir, 'netmon.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      log: { level: process.env.NETMON_CGROUP_LOG_DIR ? 'debug' : 'info', format: 'json' },
      kafka: { brokers: config.kafka.brokers, samplesPartitions: 3, collectorStatePartitions: 12, topics: config.kafka.topics },
      collector: { ...config.collector, metricsListen: '' },
      devicesFile: 'devices.yaml',
    }),
  );
  const kafka = createKafka(silentLogger, config.kafka, 'cgout-test');
  await prepareTopics(kafka, config.kafka);

  // Every sample once (a consumer restarted by the outage may read some again: they are the same offsets).
  const seenOffsets = new Set<string>();
  const samples = new Map<string, Array<{ ts: number; ifaces: Map<number, { ts: number; v: bigint }> }>>();
  const reader = kafka.consumer({ groupId: uniqueId('cgout-reader') });
  await reader.connect();
  await reader.subscribe({ topic: config.kafka.topics.samples, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ partition, message }) => {
      const at = `${partition}:${message.offset}`;
      if (seenOffsets.has(at)) return;
      seenOffsets.add(at);
      const s = decodeCounterSample(message.value);
      const list = samples.get(s.deviceId) ?? [];
      list.push({ ts: s.ts, ifaces: new Map(s.interfaces.map((f) => [f.ifIndex, { ts: f.ts ?? s.ts, v: f.inOctets }])) });
      samples.set(s.deviceId, list);
      return Promise.resolve();
    },
  });

  const processor = assemble(silentLogger, loaded(config, []), ['processor']);
  const supervisor = createSupervisor(silentLogger);
  let processorExit: unknown = null;
  const running = supervisor.run(processor.components, { handleSignals: false }).catch((err: unknown) => {
    processorExit = err;
    return 1;
  });
  const procs: CollectorProc[] = [];
  // Intervals in which polls may be held: the group re-forming after each outage.
  const reforming: Array<{ from: number; to: number; what: string }> = [];
  const alive = () => procs.every((p) => p.child.exitCode === null && p.child.signalCode === null);
  const shares = () => procs.map((p) => `${p.name}=${p.devices()}`).join(' ');

  /** After the broker is back at `back`: waits until every member has a share made after it, they cover every device, and nothing changed for QUIET_MS. */
  async function reformed(what: string, back: number): Promise<number> {
    await waitFor(
      `the group to re-form after ${what}`,
      () => {
        const last = Math.max(...procs.map((p) => p.assignedAt()));
        return procs.every((p) => p.assignedAt() > back && p.devices() > 0) && procs.reduce((s, p) => s + p.devices(), 0) === DEVICES && Date.now() - last > QUIET_MS;
      },
      120_000,
      200,
    );
    return Math.max(...procs.map((p) => p.assignedAt()));
  }

  try {
    for (const n of ['a', 'b', 'c']) procs.push(startCollector(file, n, `outage-${n}`));
    const t0 = Date.now();
    await waitFor('every device polled', () => samples.size === DEVICES, 60_000);
    await waitFor('three shares', () => procs.every((p) => p.devices() > 0) && procs.reduce((s, p) => s + p.devices(), 0) === DEVICES, 30_000);
    const steadyFrom = Date.now() + 2 * I;
    const from = Math.ceil(steadyFrom / W) * W;
    await sleep(from + W - Date.now());
    t.diagnostic(`shares: ${shares()}, all polled ${Date.now() - t0} ms after start`);

    // 1. The broker killed for longer than the session timeout, then started again.
    const tKill = Date.now();
    await signalServer('kafka', 'SIGKILL');
    await sleep(tKill + KILLED_MS - Date.now());
    // The broker may answer before up.sh is done waiting for it: the re-forming (members hold their
    // shares on the broker's first answer) starts when it is started again.
    const tRestart = Date.now();
    await stackUp();
    const tBack = Date.now();
    const settled1 = await reformed('the kill', tKill);
    reforming.push({ from: tRestart - I, to: settled1 + I, what: 'after the kill' });
    t.diagnostic(`broker killed ${tBack - tKill} ms (restart included); group re-formed ${settled1 - tBack} ms after it was back: ${shares()}`);
    assert.ok(alive(), 'no collector exited through the kill');
    await sleep(W);

    // 2. The broker stopped past every timeout, then continued.
    const tStop = Date.now();
    await signalServer('kafka', 'SIGSTOP');
    let continued = false;
    try {
      await sleep(STOPPED_MS);
    } finally {
      await signalServer('kafka', 'SIGCONT');
      continued = true;
    }
    const tCont = Date.now();
    const settled2 = await reformed('the stop', tStop);
    reforming.push({ from: tCont - I, to: settled2 + I, what: 'after the stop' });
    t.diagnostic(`broker stopped ${tCont - tStop} ms; group re-formed ${settled2 - tCont} ms after SIGCONT: ${shares()} (continued: ${continued})`);
    assert.ok(alive(), 'no collector exited through the stop');
    // Two whole windows after the group re-formed.
    await sleep(Math.ceil((settled2 + I) / W) * W + 2 * W + I - Date.now());
    const end = Date.now();
    assert.ok(alive(), 'no collector exited');
    for (const p of procs) {
      p.child.kill('SIGTERM');
      assert.equal(await p.exited, 0, `${p.name} exits cleanly on SIGTERM: ${p.stderr()}`);
    }

    // Samples: at most one per device per slot, always; one per slot except while the group re-forms.
    const excused = (at: number) => reforming.some((r) => at >= r.from && at < r.to);
    const slotOf = (dev: string, ts: number) => Math.floor((ts - phaseMs(dev, I)) / I);
    // Everything polled before `end` has reached the topic (the publishers drained on SIGTERM).
    await waitFor('the last samples', () => entries.every((e) => (samples.get(e.id) ?? []).some((s) => s.ts >= end - 2 * I)), 30_000);
    let missing = 0;
    const missed: string[] = [];
    for (const dev of entries.map((e) => e.id)) {
      const list = samples.get(dev) ?? [];
      const perSlot = new Map<number, number>();
      for (const s of list) perSlot.set(slotOf(dev, s.ts), (perSlot.get(slotOf(dev, s.ts)) ?? 0) + 1);
      for (const [slot, n] of perSlot) assert.equal(n, 1, `${dev}: ${n} polls in the slot at ${new Date(slot * I + phaseMs(dev, I)).toISOString()} (${JSON.stringify(reforming)}, kill ${tKill}, stop ${tStop})`);
      const phase = phaseMs(dev, I);
      for (let slot = slotOf(dev, steadyFrom) + 1; slot * I + phase < end - I; slot++) {
        const at = slot * I + phase;
        if (perSlot.has(slot)) continue;
        missing++;
        if (!excused(at)) missed.push(`${dev}@${new Date(at).toISOString()}`);
      }
    }
    t.diagnostic(`slots missed: ${missing} (outside a re-forming: ${missed.length})`);
    assert.deepEqual(missed, [], `slots not polled outside a re-forming (${JSON.stringify(reforming.map((r) => ({ ...r, from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() })))}; kill at ${new Date(tKill).toISOString()}, stop at ${new Date(tStop).toISOString()})`);

    // Ground truth of the samples: each value is the lab's counter at an instant of its request.
    let checkedSamples = 0;
    for (let i = 0; i < entries.length; i++) {
      for (const smp of samples.get(entries[i].id) ?? []) {
        for (const [ifIndex, f] of smp.ifaces) {
          const lo = lab.counterAt(i, ifIndex, Math.max(f.ts - 2000, lab.startedAt!)).inOctets;
          const hi = lab.counterAt(i, ifIndex, f.ts).inOctets;
          assert.ok(f.v >= lo && f.v <= hi, `${entries[i].id} if ${ifIndex} at ${f.ts}: ${f.v} is the truth during its request [${lo}, ${hi}]`);
          checkedSamples++;
        }
      }
    }

    // Windows: wait for the last complete one, then compare every full-coverage one with the truth
    // (the counter at an edge is the processor's exact apportioning of the polls around it).
    const store = createInfluxStore(config.influx);
    const to = Math.floor((end - I) / W) * W;
    await waitFor(
      'the windows up to the end in InfluxDB',
      async () => {
        for (const e of entries) if ((await store.queryWindows({ deviceId: e.id, fromMs: to - W, toMs: to })).filter((w) => w.ifIndex !== null).length < PORTS) return false;
        return true;
      },
      120_000,
      1000,
    );
    const counterAtEdge = (series: Array<{ ts: number; v: bigint }>, edge: number): bigint | null => {
      for (let k = 0; k + 1 < series.length; k++) {
        const [p, q] = [series[k], series[k + 1]];
        if (p.ts <= edge && edge < q.ts) return p.v + ((q.v - p.v) * BigInt(edge - p.ts)) / BigInt(q.ts - p.ts);
      }
      return null;
    };
    const seriesOf = (list: Array<{ ifaces: Map<number, { ts: number; v: bigint }> }>, ifIndex: number) =>
      list
        .flatMap((smp) => {
          const f = smp.ifaces.get(ifIndex);
          return f ? [f] : [];
        })
        .sort((x, y) => x.ts - y.ts);
    const near = (start: number, end: number) => reforming.some((r) => end > r.from - I && start < r.to);
    const where = () => `${reforming.map((r) => `${r.what} ${new Date(r.from).toISOString()}..${new Date(r.to).toISOString()}`).join(', ')}; kill at ${new Date(tKill).toISOString()}, stop at ${new Date(tStop).toISOString()}`;
    let compared = 0;
    let partial = 0;
    let absent = 0;
    for (let i = 0; i < entries.length; i++) {
      const dev = entries[i].id;
      const list = samples.get(dev) ?? [];
      const rows = await store.queryWindows({ deviceId: dev, fromMs: from, toMs: to });
      // A window is absent only where every counter delta reaching into it spans more than the
      // processor's maximum gap (not spread: the polls were held that long while the group re-formed).
      const ifIndexes = new Set(list.flatMap((smp) => [...smp.ifaces.keys()]));
      for (const ifIndex of ifIndexes) {
        const series = seriesOf(list, ifIndex);
        for (let ws = from; ws < to; ws += W) {
          if (rows.some((w) => w.ifIndex === ifIndex && w.windowStart === ws)) continue;
          const reaching = series.slice(1).map((q, k) => ({ p: series[k], q })).filter(({ p, q }) => q.ts > ws && p.ts < ws + W);
          const spread = reaching.filter(({ p, q }) => q.ts - p.ts <= MAX_GAP_POLLS * I);
          assert.ok(spread.length === 0 && near(ws, ws + W), `${dev} if ${ifIndex}: no window at ${new Date(ws).toISOString()} (deltas reaching into it: ${JSON.stringify(reaching.map(({ p, q }) => [new Date(p.ts).toISOString(), q.ts - p.ts]))}; ${where()})`);
          absent++;
        }
      }
      for (const w of rows) {
        if (w.ifIndex === null) continue;
        if (w.coverage < 1) {
          partial++;
          assert.ok(near(w.windowStart, w.windowEnd), `${dev} if ${w.ifIndex}: coverage ${w.coverage} in the window at ${new Date(w.windowStart).toISOString()}, away from any re-forming (${where()})`);
          continue;
        }
        const series = seriesOf(list, w.ifIndex);
        const a0 = counterAtEdge(series, w.windowStart);
        const a1 = counterAtEdge(series, w.windowEnd);
        assert.ok(a0 !== null && a1 !== null, `${dev} if ${w.ifIndex}: polls around the window at ${new Date(w.windowStart).toISOString()}`);
        assert.equal(BigInt(w.inOctets), a1 - a0, `${dev} if ${w.ifIndex} window ${new Date(w.windowStart).toISOString()}: octets`);
        compared++;
      }
    }
    t.diagnostic(`samples checked against the lab's truth: ${checkedSamples}; windows equal to it exactly: ${compared}; partial coverage: ${partial}; absent inside a gap of a re-forming: ${absent}`);
    assert.equal(compared + partial + absent, DEVICES * PORTS * ((to - from) / W), `every window from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}`);
    assert.equal(processorExit, null, 'the processor kept running');
  } catch (err) {
    for (const p of procs) t.diagnostic(`${p.name} (share ${p.devices()}, exit ${p.child.exitCode ?? p.child.signalCode}): ${p.stderr().slice(-1500)}`);
    throw err;
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await reader.disconnect();
    supervisor.shutdown('test finished');
    await running;
  }
});
