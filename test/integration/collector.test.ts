// The collector as a whole against the stack's snmpd, with a dead device (a UDP socket that never
// answers) and a slow one (a UDP relay that delays snmpd's answers) among live ones: the live ones
// keep their fixed-rate schedule, and every device's status is published on the status topic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createCollectorService } from '../../collector/main.js';
import { systemClock } from '../../common/clock.js';
import { createKafka } from '../../common/bus/kafka.js';
import { decodeCounterSample, decodeDeviceStatus, type DeviceStatus } from '../../common/contracts/index.js';
import { deviceSchema } from '../../common/config/schema.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { stackEnv, testConfig, uniqueId, waitFor } from './stack.js';

async function bindUdp(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

/** Relays SNMP datagrams to snmpd and answers after `delayMs`. */
async function slowRelay(target: { host: string; port: number }, delayMs: number) {
  const front = await bindUdp();
  const back = await bindUdp();
  let client: RemoteInfo | null = null;
  front.on('message', (msg, rinfo) => {
    client = rinfo;
    back.send(msg, target.port, target.host);
  });
  back.on('message', (msg) => {
    const to = client;
    if (to) setTimeout(() => front.send(msg, to.port, to.address), delayMs);
  });
  return { port: front.address().port, close: () => { front.close(); back.close(); } };
}

test('a dead and a slow device do not delay the live ones; statuses are published', { timeout: 120_000 }, async (t) => {
  const env = stackEnv();
  const dead = await bindUdp(); // receives requests, never answers
  const slow = await slowRelay({ host: env.snmpHost, port: env.snmpPort }, 1500);
  const config = testConfig(uniqueId('collector'), { collector: { pollIntervalSeconds: 2, timeoutMs: 800, retries: 1 } });
  const snmp = { version: '2c', community: env.community };
  const devices = [
    deviceSchema.parse({ id: 'live1', host: env.snmpHost, port: env.snmpPort, snmp }),
    deviceSchema.parse({ id: 'live2', host: env.snmpHost, port: env.snmpPort, snmp }),
    deviceSchema.parse({ id: 'dead', host: '127.0.0.1', port: dead.address().port, snmp }),
    deviceSchema.parse({ id: 'slow', host: '127.0.0.1', port: slow.port, snmp, timeoutMs: 3000 }),
  ];
  const registry = createRegistry({ defaultMetrics: false });
  const collector = createCollectorService(silentLogger, { ...config, devices }, { registry, clock: systemClock });
  const supervisor = createSupervisor(silentLogger);
  const running = supervisor.run(collector.components, { handleSignals: false });
  const kafka = createKafka(silentLogger, config.kafka, 'reader');
  const consumer = kafka.consumer({ groupId: uniqueId('collector-reader') });
  const samples = new Map<string, number[]>();
  const statuses = new Map<string, DeviceStatus>();
  try {
    await waitFor('the collector to publish', () => collector.publisher.queueDepth() === 0 && collector.snmp.status().some((s) => s.state === 'up'), 30_000);
    await consumer.connect();
    await consumer.subscribe({ topics: [config.kafka.topics.samples, config.kafka.topics.status], fromBeginning: true });
    void consumer.run({
      eachMessage: ({ topic, message }) => {
        if (topic === config.kafka.topics.samples) {
          const s = decodeCounterSample(message.value);
          samples.set(s.deviceId, [...(samples.get(s.deviceId) ?? []), s.ts]);
        } else {
          const st = decodeDeviceStatus(message.value);
          statuses.set(st.deviceId, st);
        }
        return Promise.resolve();
      },
    });
    await waitFor('8 samples from each live device', () => ['live1', 'live2'].every((d) => (samples.get(d)?.length ?? 0) >= 8), 60_000);
    await waitFor('statuses of all four devices', () => ['live1', 'live2', 'dead', 'slow'].every((d) => statuses.get(d) && statuses.get(d)!.state !== 'pending'), 30_000);

    for (const d of ['live1', 'live2']) {
      const ts = samples.get(d)!;
      const gaps = ts.slice(1).map((x, i) => x - ts[i]);
      t.diagnostic(`${d}: sample gaps ${gaps.join(', ')} ms`);
      for (const g of gaps) assert.ok(g >= 1500 && g <= 2500, `${d} keeps its 2 s schedule (gap ${g} ms)`);
    }
    assert.equal(statuses.get('live1')!.state, 'up');
    assert.equal(statuses.get('dead')!.state, 'unreachable');
    assert.match(statuses.get('dead')!.lastError ?? '', /dead \(127\.0\.0\.1:\d+\) timed out/);
    assert.equal(statuses.get('slow')!.state, 'up');
    assert.ok(statuses.get('slow')!.lastPollDurationMs! >= 1500, `slow poll took ${statuses.get('slow')!.lastPollDurationMs} ms`);
    assert.equal(collector.snmp.statusOf('dead')!.state, 'unreachable');
    const polls = await registry.getSingleMetricAsString('netmon_collector_polls_total');
    assert.match(polls, /result="unreachable"/);
  } finally {
    await consumer.disconnect();
    supervisor.shutdown('test finished');
    assert.equal(await running, 0);
    dead.close();
    slow.close();
  }
});
