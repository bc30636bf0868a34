// The whole collector (createCollectorService: real net-snmp sessions, scheduler, Kafka publisher) against
// lab agents over loopback, samples read back from the real Kafka: a 32-bit-only device is marked
// width 32; counters near 2^64 are published raw, wrap included (the processor does the wrap math);
// a reboot shows as sysUpTime going back and triggers a rediscovery; a renumbered device keeps its
// interfaces' identity (same ifIndex, agentIfIndex = the new one), and with collector.stateDir that
// identity survives a collector restart (a collector without the saved state would split it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollectorService } from '../../collector/main.js';
import { createLab, type Lab } from '../../collector/lab/lab.js';
import { systemClock } from '../../common/clock.js';
import { createKafka, prepareTopics } from '../../common/bus/kafka.js';
import { deviceSchema, type NetmonConfig } from '../../common/config/schema.js';
import { decodeCounterSample, type CounterSample } from '../../common/contracts/index.js';
import { ConfigError } from '../../common/errors.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry, type Registry } from '../../common/metrics.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

const D = { plain: 0, old: 1, wrap: 2, reboot: 3 } as const;
const PORTS = 4;
let skewMs = 0;
let lab: Lab;

before(async () => {
  for (let base = 27161; ; base += 100) {
    const l = createLab(silentLogger, { devices: 4, ports: PORTS, basePort: base, only32bit: [D.old], nearWrap: [D.wrap] }, { clock: { now: () => Date.now() + skewMs } });
    try {
      await l.start();
      lab = l;
      return;
    } catch (err) {
      if (!(err instanceof ConfigError && /cannot bind/.test(err.message)) || base > 31000) throw err;
    }
  }
});
after(async () => {
  await lab?.stop();
});

/** Runs a collector on `config` over the given lab devices; samples land in `out` as they arrive on Kafka. */
function runCollector(config: NetmonConfig, devices: number[]) {
  const registry = createRegistry({ defaultMetrics: false });
  const entries = lab.deviceEntries('2c');
  const collector = createCollectorService(silentLogger, { ...config, devices: devices.map((i) => deviceSchema.parse(entries[i])) }, { registry, clock: systemClock });
  const supervisor = createSupervisor(silentLogger);
  const running = supervisor.run(collector.components, { handleSignals: false });
  let stopped = false;
  return {
    registry,
    async stop() {
      if (stopped) return;
      stopped = true;
      supervisor.shutdown('test step finished');
      assert.equal(await running, 0);
    },
  };
}

async function readSamples(config: NetmonConfig) {
  const out: CounterSample[] = [];
  const kafka = createKafka(silentLogger, config.kafka, 'reader');
  await prepareTopics(kafka, config.kafka);
  const consumer = kafka.consumer({ groupId: uniqueId('collab-reader') });
  await consumer.connect();
  await consumer.subscribe({ topics: [config.kafka.topics.samples], fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      out.push(decodeCounterSample(message.value));
      return Promise.resolve();
    },
  });
  return { out, stop: () => consumer.disconnect() };
}

async function metric(registry: Registry, name: string): Promise<number> {
  const text = await registry.getSingleMetricAsString(name);
  return Number(/\s(\d+(?:\.\d+)?)\s*$/m.exec(text)?.[1] ?? NaN);
}

const of = (samples: CounterSample[], i: number) => samples.filter((s) => s.deviceId === lab.devices[i].id);

test('full collector over lab agents: widths, raw wrapping counters, reboot, renumbering, identity across a restart', { timeout: 180_000 }, async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'netmon-collector-state-'));
  const config = testConfig(uniqueId('collab'), { collector: { pollIntervalSeconds: 1, timeoutMs: 1000, retries: 0, stateDir } });
  const reader = await readSamples(config);
  const samples = reader.out;
  let c = runCollector(config, [D.plain, D.old, D.wrap, D.reboot]);
  try {
    await waitFor('two samples of every device', () => [D.plain, D.old, D.wrap, D.reboot].every((i) => of(samples, i).length >= 2), 40_000);

    // 32-bit-only device: every interface width 32, values below 2^32; HC device: width 64.
    for (const s of of(samples, D.old)) for (const f of s.interfaces) {
      assert.equal(f.width, 32, `${s.deviceId} ${f.name}`);
      assert.ok(f.inOctets < 1n << 32n);
    }
    assert.ok(of(samples, D.plain).every((s) => s.interfaces.every((f) => f.width === 64)));

    // Near wrap: raw values just below 2^64; after the lab's time jumps a minute, raw values past the wrap.
    const before = of(samples, D.wrap).at(-1)!;
    const high = before.interfaces.filter((f) => f.inOctets > (1n << 63n));
    assert.ok(high.length > 0, 'counters start near 2^64');
    skewMs += 120_000;
    const wrapFrom = of(samples, D.wrap).length;
    const after = await waitFor('a sample after the wrap', () => of(samples, D.wrap).slice(wrapFrom).find((s) => s.interfaces.some((f) => f.inOctets < (1n << 62n))), 20_000);
    const wrapped = after.interfaces.filter((f) => f.inOctets < (1n << 62n));
    for (const f of wrapped) {
      const prev = before.interfaces.find((p) => p.ifIndex === f.ifIndex)!;
      assert.ok(f.inOctets < prev.inOctets, `${f.name}: the raw value went down (${prev.inOctets} -> ${f.inOctets}); no correction in the collector`);
    }
    t.diagnostic(`near-wrap: ${wrapped.length}/${PORTS} in-octet counters wrapped and were published raw`);

    // Reboot: sysUpTime goes back in the sample, and the collector rediscovers.
    const discoveries = await metric(c.registry, 'netmon_collector_discoveries_total');
    const lastUp = of(samples, D.reboot).at(-1)!.sysUpTime;
    const rebootFrom = of(samples, D.reboot).length;
    lab.reboot(D.reboot);
    const rebooted = await waitFor('a sample after the reboot', () => of(samples, D.reboot).slice(rebootFrom).find((s) => s.sysUpTime < lastUp), 20_000);
    assert.ok(rebooted.sysUpTime < lastUp, `sysUpTime went back: ${lastUp} -> ${rebooted.sysUpTime}`);
    await waitFor('the rediscovery after the reboot', async () => (await metric(c.registry, 'netmon_collector_discoveries_total')) > discoveries, 20_000);
    assert.ok((await metric(c.registry, 'netmon_collector_reboots_detected_total')) >= 1);

    // Renumbering: same published ifIndex, the agent's new one in agentIfIndex.
    const names = of(samples, D.plain).at(-1)!.interfaces.map((f) => [f.ifIndex, f.name]);
    const renFrom = of(samples, D.plain).length;
    lab.renumber(D.plain, 100);
    const ren = await waitFor('a sample after renumbering', () => of(samples, D.plain).slice(renFrom).find((s) => s.interfaces.some((f) => f.agentIfIndex !== undefined)), 20_000);
    assert.deepEqual(ren.interfaces.map((f) => [f.ifIndex, f.name]), names, 'identity kept by name');
    assert.deepEqual(ren.interfaces.map((f) => f.agentIfIndex), ren.interfaces.map((f) => f.ifIndex + 100));
    assert.ok(readdirSync(join(stateDir, 'identity')).includes(`${lab.devices[D.plain].id}.json`), 'the identity map was saved');
    await c.stop();

    // Restart with the same state directory: the renumbered interfaces keep their identity.
    const restartFrom = of(samples, D.plain).length;
    c = runCollector(config, [D.plain]);
    const restarted = await waitFor('a sample from the restarted collector', () => of(samples, D.plain).slice(restartFrom)[0], 30_000);
    assert.deepEqual(restarted.interfaces.map((f) => [f.ifIndex, f.name, f.agentIfIndex]), names.map(([i, n]) => [i, n, Number(i) + 100]));
    await c.stop();

    // The control: without the saved state a restarted collector would split the history.
    const fresh = testConfig(uniqueId('collab-fresh'), { collector: { pollIntervalSeconds: 1, timeoutMs: 1000, retries: 0, stateDir: mkdtempSync(join(tmpdir(), 'netmon-collector-state-')) } });
    const freshReader = await readSamples(fresh);
    try {
      c = runCollector(fresh, [D.plain]);
      const split = await waitFor('a sample without saved state', () => of(freshReader.out, D.plain)[0], 30_000);
      assert.deepEqual(split.interfaces.map((f) => f.ifIndex), names.map(([i]) => Number(i) + 100));
    } finally {
      await freshReader.stop();
    }
  } finally {
    await c.stop().catch(() => undefined);
    await reader.stop();
  }
});
