// Collectors in a group, on the real stack: 60 lab devices, three `netmon collector` child processes
// with the same configuration (one group), a processor in this process. One collector is SIGKILLed,
// then a fourth one is started. From the samples topic: no device is ever polled twice in one poll
// slot, every device is polled in every slot except, for the dead collector's devices, between the
// kill and one poll interval plus the session timeout (plus a little slack for the rejoin), and
// around the fourth one's arrival (polls are held while the group rebalances). From InfluxDB: every
// complete window's octets equal the lab's ground truth (no double counting, nothing lost), and
// windows with less than full coverage lie only around the takeover and the arrival.
// Then: a renumbered device's interface identity map follows it to another collector of the group
// through the collector-state topic (no state directory), and a collector of another group, which
// does not see it, splits the interfaces' history (the control).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../cli/services.js';
import { createCollectorService } from '../../collector/main.js';
import type { Lab } from '../../collector/lab/lab.js';
import { phaseMs } from '../../collector/inputs/snmp/schedule.js';
import { createKafka, prepareTopics } from '../../common/bus/kafka.js';
import { deviceSchema, type NetmonConfig } from '../../common/config/schema.js';
import { systemClock } from '../../common/clock.js';
import { decodeCounterSample, type CounterSample } from '../../common/contracts/index.js';
import { createRegistry } from '../../common/metrics.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createInfluxStore } from '../../common/store/influx.js';
import { startCollector, startLabOnFreePorts, type CollectorProc } from './collector-procs.js';
import { loaded, testConfig, uniqueId, waitFor } from './stack.js';

const DEVICES = 60;
const PORTS = 2;
const POLL_S = 2;
const I = POLL_S * 1000;
const SESSION_MS = 6000;
const HEARTBEAT_MS = 500;
const WINDOW_S = 10;
/** Rejoining after the coordinator drops the dead member: a heartbeat, a join and a sync. */
const REJOIN_SLACK_MS = 3000;

let lab: Lab;
before(async () => {
  lab = await startLabOnFreePorts({ devices: DEVICES, ports: PORTS }, 33161, 40000);
});
after(async () => {
  await lab?.stop();
});

test('three collectors share 60 devices; one is killed, one added: every device polled once per slot, windows equal the ground truth', { timeout: 400_000 }, async (t) => {
  const id = uniqueId('cgroup');
  const config = testConfig(id, {
    kafka: { samplesPartitions: 3, collectorStatePartitions: 12 },
    collector: { pollIntervalSeconds: POLL_S, timeoutMs: 800, retries: 1, sessionTimeoutMs: SESSION_MS, heartbeatIntervalMs: HEARTBEAT_MS },
    processor: { windowSeconds: WINDOW_S },
  });
  const dir = mkdtempSync(join(tmpdir(), 'netmon-cgroup-'));
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
  const kafka = createKafka(silentLogger, config.kafka, 'cgroup-test');
  await prepareTopics(kafka, config.kafka);

  // Every sample, as (device, poll time, per interface the time its counters were read and inOctets).
  const samples = new Map<string, Array<{ ts: number; ifaces: Map<number, { ts: number; v: bigint }> }>>();
  const reader = kafka.consumer({ groupId: uniqueId('cgroup-reader') });
  await reader.connect();
  await reader.subscribe({ topic: config.kafka.topics.samples, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      const s = decodeCounterSample(message.value);
      const list = samples.get(s.deviceId) ?? [];
      list.push({ ts: s.ts, ifaces: new Map(s.interfaces.map((f) => [f.ifIndex, { ts: f.ts ?? s.ts, v: f.inOctets }])) });
      samples.set(s.deviceId, list);
      return Promise.resolve();
    },
  });

  const processor = assemble(silentLogger, loaded(config, []), ['processor']);
  const supervisor = createSupervisor(silentLogger);
  const running = supervisor.run(processor.components, { handleSignals: false });
  const procs: CollectorProc[] = [];
  try {
    for (const n of ['a', 'b', 'c']) procs.push(startCollector(file, n));
    const [a, b, c] = procs;
    const t0 = Date.now();
    await waitFor('every device polled', () => samples.size === DEVICES, 60_000);
    const steadyFrom = Date.now() + 2 * I;
    await waitFor('three shares', () => procs.every((p) => p.devices() > 0) && procs.reduce((s, p) => s + p.devices(), 0) === DEVICES, 30_000);
    // The kill falls inside the checked windows: at least a poll interval after the first of them.
    const W = WINDOW_S * 1000;
    const from = Math.ceil(steadyFrom / W) * W;
    await new Promise((r) => setTimeout(r, Math.max(4 * I, from + 2 * I - Date.now())));
    t.diagnostic(`shares before the kill: ${procs.map((p) => `${p.name}=${p.devices()}`).join(' ')}, all polled ${Date.now() - t0} ms after start`);

    const killedDevices = a.devices();
    const tKill = Date.now();
    a.child.kill('SIGKILL');
    await a.exited;
    await waitFor('the survivors to take over', () => b.devices() + c.devices() === DEVICES && b.assignedAt() > tKill && c.assignedAt() > tKill, SESSION_MS + 30_000);
    const takeoverMs = Math.max(b.assignedAt(), c.assignedAt()) - tKill;
    t.diagnostic(`killed a (${killedDevices} devices); b and c were assigned its partitions ${takeoverMs} ms later`);
    await new Promise((r) => setTimeout(r, 4 * I));

    const tAdd = Date.now();
    const d = startCollector(file, 'd');
    procs.push(d);
    await waitFor('the new collector to take its share', () => d.devices() > 0 && b.assignedAt() > tAdd && c.assignedAt() > tAdd && b.devices() + c.devices() + d.devices() === DEVICES, 60_000);
    const addSettled = Math.max(b.assignedAt(), c.assignedAt(), d.assignedAt());
    t.diagnostic(`added d: shares b=${b.devices()} c=${c.devices()} d=${d.devices()}, ${addSettled - tAdd} ms after its start`);
    // Two whole windows after the arrival settled.
    await new Promise((r) => setTimeout(r, Math.max(5 * I, addSettled + 2 * W + 2 * I - Date.now())));
    const end = Date.now();
    for (const p of [b, c, d]) {
      p.child.kill('SIGTERM');
      assert.equal(await p.exited, 0, `${p.name} exits cleanly on SIGTERM: ${p.stderr()}`);
    }

    // Samples: at most one per device per slot, always; one per slot in steady periods.
    const takeoverUntil = tKill + SESSION_MS + I + REJOIN_SLACK_MS;
    const slotOf = (dev: string, ts: number) => Math.floor((ts - phaseMs(dev, I)) / I);
    let missing = 0;
    for (const dev of entries.map((e) => e.id)) {
      const list = samples.get(dev) ?? [];
      const perSlot = new Map<number, number>();
      for (const s of list) perSlot.set(slotOf(dev, s.ts), (perSlot.get(slotOf(dev, s.ts)) ?? 0) + 1);
      for (const [slot, n] of perSlot) assert.equal(n, 1, `${dev}: ${n} polls in slot ${slot}`);
      const phase = phaseMs(dev, I);
      for (let slot = slotOf(dev, steadyFrom) + 1; slot * I + phase < end - I; slot++) {
        const at = slot * I + phase;
        // A poll just before the kill may have died with its sample in the publisher's queue.
        const excused = (at >= tKill - I && at < takeoverUntil) || (at >= tAdd && at < addSettled + I);
        if (perSlot.has(slot)) continue;
        missing++;
        assert.ok(excused, `${dev}: not polled in the slot at ${new Date(at).toISOString()} (kill at ${new Date(tKill).toISOString()}, takeover allowed until ${new Date(takeoverUntil).toISOString()}, add at ${new Date(tAdd).toISOString()})`);
      }
    }
    t.diagnostic(`slots missed (all in the takeover or the arrival): ${missing}`);

    // Windows: wait for the last complete one, then compare every full-coverage one with the truth.
    const store = createInfluxStore(config.influx);
    const to = Math.floor((end - I) / W) * W;
    await waitFor(
      'the windows up to the end in InfluxDB',
      async () => {
        for (const e of entries) if ((await store.queryWindows({ deviceId: e.id, fromMs: to - W, toMs: to })).filter((w) => w.ifIndex !== null).length < PORTS) return false;
        return true;
      },
      90_000,
      1000,
    );
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
    // Windows: each complete one holds exactly the counter growth between its edges, the counter at an
    // edge being the processor's exact apportioning of the two polls around it (integer floor, see
    // processor/core/apportion.ts): nothing counted twice, nothing lost.
    const counterAtEdge = (series: Array<{ ts: number; v: bigint }>, edge: number): bigint | null => {
      for (let k = 0; k + 1 < series.length; k++) {
        const [p, q] = [series[k], series[k + 1]];
        if (p.ts <= edge && edge < q.ts) return p.v + ((q.v - p.v) * BigInt(edge - p.ts)) / BigInt(q.ts - p.ts);
      }
      return null;
    };
    let compared = 0;
    let partial = 0;
    for (let i = 0; i < entries.length; i++) {
      const dev = entries[i].id;
      const list = samples.get(dev) ?? [];
      const rows = await store.queryWindows({ deviceId: dev, fromMs: from, toMs: to });
      for (const w of rows) {
        if (w.ifIndex === null) continue;
        if (w.coverage < 1) {
          partial++;
          const near = (w.windowEnd > tKill - 2 * I && w.windowStart < takeoverUntil) || (w.windowEnd > tAdd && w.windowStart < addSettled + I);
          assert.ok(near, `${dev} if ${w.ifIndex}: coverage ${w.coverage} in the window at ${new Date(w.windowStart).toISOString()}, away from the takeover and the arrival`);
          continue;
        }
        const series = list.flatMap((smp) => {
          const f = smp.ifaces.get(w.ifIndex!);
          return f ? [f] : [];
        }).sort((x, y) => x.ts - y.ts);
        const a0 = counterAtEdge(series, w.windowStart);
        const a1 = counterAtEdge(series, w.windowEnd);
        assert.ok(a0 !== null && a1 !== null, `${dev} if ${w.ifIndex}: polls around the window at ${new Date(w.windowStart).toISOString()}`);
        assert.equal(BigInt(w.inOctets), a1 - a0, `${dev} if ${w.ifIndex} window ${new Date(w.windowStart).toISOString()}: octets`);
        compared++;
      }
    }
    t.diagnostic(`samples checked against the lab's truth: ${checkedSamples}; windows equal to it exactly: ${compared}; partial coverage: ${partial}`);
    // Every interface has every window of the range: none lost with the dead collector.
    assert.equal(compared + partial, DEVICES * PORTS * ((to - from) / W), `windows from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}`);
  } catch (err) {
    for (const p of procs) t.diagnostic(`${p.name} (share ${p.devices()}): ${p.stderr().slice(-1500)}`);
    throw err;
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await reader.disconnect();
    supervisor.shutdown('test finished');
    await running;
  }
});

/** A collector in this process polling lab device `i`; stop() is a clean shutdown (it leaves the group). */
function inProcessCollector(config: NetmonConfig, i: number) {
  const collector = createCollectorService(silentLogger, { ...config, devices: [deviceSchema.parse(lab.deviceEntries('2c')[i])] }, { registry: createRegistry({ defaultMetrics: false }), clock: systemClock });
  const supervisor = createSupervisor(silentLogger);
  const running = supervisor.run(collector.components, { handleSignals: false });
  return {
    async stop() {
      supervisor.shutdown('test step finished');
      assert.equal(await running, 0);
    },
  };
}

test('a renumbered device keeps its interface identity when it moves to another collector of the group (state on Kafka, no state directory)', { timeout: 120_000 }, async () => {
  const DEV = 7;
  const id = uniqueId('cgroup-id');
  const opts = { collector: { pollIntervalSeconds: 1, timeoutMs: 1000, retries: 0, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 } };
  const config = testConfig(id, opts);
  assert.equal(config.collector.stateDir, undefined);
  const kafka = createKafka(silentLogger, config.kafka, 'cgroup-id-test');
  await prepareTopics(kafka, config.kafka);
  const out: CounterSample[] = [];
  const reader = kafka.consumer({ groupId: uniqueId('cgroup-id-reader') });
  await reader.connect();
  await reader.subscribe({ topic: config.kafka.topics.samples, fromBeginning: true });
  await reader.run({
    eachMessage: ({ message }) => {
      out.push(decodeCounterSample(message.value));
      return Promise.resolve();
    },
  });
  const x = inProcessCollector(config, DEV);
  let y: { stop(): Promise<void> } | null = null;
  try {
    const first = await waitFor('a sample from the first collector', () => out[0], 30_000);
    const names = first.interfaces.map((f) => [f.ifIndex, f.name]);
    lab.renumber(DEV, 100);
    const from = out.length;
    const ren = await waitFor('a sample after renumbering', () => out.slice(from).find((s) => s.interfaces.some((f) => f.agentIfIndex !== undefined)), 20_000);
    assert.deepEqual(ren.interfaces.map((f) => [f.ifIndex, f.name]), names, 'identity kept by name');
    await x.stop();

    // Another member of the same group (a fresh process state) takes the device over.
    const moved = out.length;
    y = inProcessCollector(config, DEV);
    const taken = await waitFor('a sample from the second collector', () => out[moved], 30_000);
    assert.deepEqual(taken.interfaces.map((f) => [f.ifIndex, f.name, f.agentIfIndex]), names.map(([i, n]) => [i, n, Number(i) + 100]));
    await y.stop();
    y = null;

    // The control: the same topics, another group: its state is not this device's, so it splits.
    const other = testConfig(id, { collector: { ...opts.collector, groupId: `${id}-other` } });
    const split = out.length;
    y = inProcessCollector(other, DEV);
    const fresh = await waitFor('a sample from a collector of another group', () => out[split], 30_000);
    assert.deepEqual(fresh.interfaces.map((f) => f.ifIndex), names.map(([i]) => Number(i) + 100));
  } finally {
    await x.stop().catch(() => undefined);
    await y?.stop().catch(() => undefined);
    await reader.disconnect();
  }
});
