// The collector follows device-list changes on the config topic without restart, against the real
// Kafka and lab agents on loopback: a device added by a ConfigChange gets polled and its samples arrive
// on the samples topic; disabled, its samples stop and its status record is tombstoned; deleted (a
// tombstone on the config topic), the same for a device that came from devices.yaml; changed settings
// (an interface filter, a speed override) show in the next samples.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCollectorService } from '../../collector/main.js';
import { createLab, type Lab } from '../../collector/lab/lab.js';
import { systemClock } from '../../common/clock.js';
import { createKafka, prepareTopics } from '../../common/bus/kafka.js';
import { deviceSchema, type DeviceConfig } from '../../common/config/schema.js';
import { configKey, encodeConfigChange } from '../../common/contracts/config-change.js';
import { decodeCounterSample } from '../../common/contracts/index.js';
import { ConfigError } from '../../common/errors.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

let lab: Lab;
before(async () => {
  for (let base = 25161; ; base += 100) {
    const l = createLab(silentLogger, { devices: 2, ports: 4, basePort: base });
    try {
      await l.start();
      lab = l;
      return;
    } catch (err) {
      if (!(err instanceof ConfigError && /cannot bind/.test(err.message)) || base > 29000) throw err;
    }
  }
});
after(async () => {
  await lab?.stop();
});

test('device-list changes on the config topic apply without restart: add, disable, delete', { timeout: 120_000 }, async () => {
  const config = testConfig(uniqueId('collcfg'), { collector: { pollIntervalSeconds: 1, timeoutMs: 1000, retries: 0 } });
  const entries = lab.deviceEntries('2c');
  const dev = (i: number, extra: Record<string, unknown> = {}): DeviceConfig => deviceSchema.parse({ ...entries[i], ...extra });
  const [A, B] = [lab.devices[0].id, lab.devices[1].id];
  const kafka = createKafka(silentLogger, config.kafka, 'test');
  await prepareTopics(kafka, config.kafka);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const send = (id: string, device: DeviceConfig | null) =>
    producer.send({ topic: config.kafka.topics.config, messages: [{ key: configKey('device', id), value: device ? encodeConfigChange({ ts: Date.now(), device }) : null }] });

  const samples: Array<{ id: string; at: number; names: string[]; speeds: number[] }> = [];
  const statuses: Array<{ id: string; tombstone: boolean; at: number }> = [];
  const consumer = kafka.consumer({ groupId: uniqueId('collcfg-reader') });
  await consumer.connect();
  await consumer.subscribe({ topics: [config.kafka.topics.samples, config.kafka.topics.status], fromBeginning: true });
  await consumer.run({
    eachMessage: ({ topic, message }) => {
      const id = message.key?.toString() ?? '';
      if (topic === config.kafka.topics.samples) {
        const s = decodeCounterSample(message.value);
        assert.equal(s.deviceId, id);
        samples.push({ id, at: Date.now(), names: s.interfaces.map((f) => f.name), speeds: s.interfaces.map((f) => f.speed) });
      } else statuses.push({ id, tombstone: message.value === null, at: Date.now() });
      return Promise.resolve();
    },
  });

  // devices.yaml has only A.
  const collector = createCollectorService(silentLogger, { ...config, devices: [dev(0)] }, { registry: createRegistry({ defaultMetrics: false }), clock: systemClock });
  const supervisor = createSupervisor(silentLogger);
  const running = supervisor.run(collector.components, { handleSignals: false });
  const count = (id: string, since = 0) => samples.filter((s) => s.id === id && s.at >= since).length;
  try {
    await waitFor('samples of the devices.yaml device', () => count(A) >= 2, 30_000);
    assert.equal(count(B), 0, 'B is not configured yet');

    await send(B, dev(1));
    await waitFor('samples of the device added on the config topic', () => count(B) >= 3, 30_000);
    assert.equal(collector.snmp.statusOf(B)?.state, 'up');

    await send(B, dev(1, { enabled: false }));
    await waitFor('the disabled device\'s status tombstone', () => statuses.some((s) => s.id === B && s.tombstone), 30_000);
    assert.equal(collector.snmp.statusOf(B), undefined, 'B is no longer polled');
    // A poll already running when the change arrived may still publish; after that, nothing.
    await new Promise((r) => setTimeout(r, 1500));
    const quietFrom = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(count(B, quietFrom), 0, 'no samples of the disabled device');
    assert.ok(count(A, quietFrom) >= 2, 'A goes on');

    await send(A, null);
    await waitFor('the deleted device\'s status tombstone', () => statuses.some((s) => s.id === A && s.tombstone), 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    const quiet2 = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(count(A, quiet2), 0, 'no samples of the deleted device');
    assert.deepEqual(collector.snmp.status(), [], 'nothing left to poll');

    // Re-enabling B brings it back (its settings come from the topic alone now).
    await send(B, dev(1));
    const back = Date.now();
    await waitFor('samples of the re-enabled device', () => count(B, back) >= 2, 30_000);

    // Changed settings apply from the next poll: an interface filter and a speed override.
    const names = samples.filter((s) => s.id === B).at(-1)!.names;
    await send(B, dev(1, { interfaces: { exclude: [`^${names[0]}$`] }, speedOverrides: { [names[1]]: 12345 } }));
    const changed = await waitFor('a sample with the new settings', () => samples.find((s) => s.id === B && s.names.length === names.length - 1), 30_000);
    assert.deepEqual(changed.names, names.slice(1));
    assert.equal(changed.speeds[0], 12345);
  } finally {
    supervisor.shutdown('test finished');
    assert.equal(await running, 0);
    await consumer.disconnect();
    await producer.disconnect();
  }
});
