// Alert rules through the API against the real stack (real Kafka, real InfluxDB): a running processor
// starts with no rules and follows netmon.config. A bad rule gets a 400 naming the field and changes
// nothing; a rule created through the API lands in the rules file and on netmon.config as rule:<id>,
// and the running processor starts evaluating it without a restart (its event appears on the alerts
// topic); a changed threshold keeps the alert's state (it resolves); deleting it writes a tombstone
// and the processor drops it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { createKafka, defaultPartitioner, prepareTopics } from '../../common/bus/kafka.js';
import { systemClock } from '../../common/clock.js';
import { parseRulesText } from '../../common/config/alerts-file.js';
import { decodeConfigChange, type AlertEvent } from '../../common/contracts/index.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { registerAlertRoutes } from '../../dashboard/alerts/alert-routes.js';
import { registerErrorHandler } from '../../dashboard/http-errors.js';
import { createRuleStore } from '../../dashboard/alerts/rule-store.js';
import { createKafkaRuleTopic } from '../../dashboard/alerts/rule-topic.js';
import { createProcessorService } from '../../processor/main.js';
import { testConfig, uniqueId, waitFor } from './stack.js';
import { collectAlertEvents, sendSamples, steppedRateSamples } from './synthetic.js';

const W = 60_000;

test('alert rules: created through the API, stored in the file and on netmon.config, evaluated by a running processor', { timeout: 180_000 }, async () => {
  const id = uniqueId('alertrules');
  const config = testConfig(id, {
    processor: { windowSeconds: 60 },
    kafka: { samplesPartitions: 1 },
  });
  const file = join(mkdtempSync(join(tmpdir(), 'netmon-alert-rules-')), 'alerts.yaml');
  const kafka = createKafka(silentLogger, config.kafka, 'alert-rules-test');
  await prepareTopics(kafka, config.kafka);

  // The processor: an alert stage with no rules, and the rule follower feeding it (the rules file is the dashboard's).
  const registry = createRegistry({ defaultMetrics: false });
  const supervisor = createSupervisor(silentLogger);
  const processor = createProcessorService(silentLogger, { ...config, rules: [], rulesFile: file, devices: [] }, { registry, clock: systemClock });
  const stage = processor.alerts;
  const running = supervisor.run(processor.components, { handleSignals: false });

  // The dashboard side: the rule store on the real topic, behind the alerts API.
  const store = createRuleStore(silentLogger, { file, channelNames: [] }, { topic: createKafkaRuleTopic(silentLogger, config.kafka), clock: systemClock, registry: createRegistry({ defaultMetrics: false }) });
  await store.start();
  const app = Fastify();
  registerErrorHandler(app);
  registerAlertRoutes(app, { rules: [], history: null, actions: null, clock: systemClock, registry: createRegistry({ defaultMetrics: false }), log: silentLogger, ruleStore: store });
  await app.ready();

  let events: AlertEvent[] = [];
  const configRecords: { key: string; threshold: number | null }[] = [];
  const alertsReader = kafka.consumer({ groupId: uniqueId('alert-rules-reader') });
  const configReader = kafka.consumer({ groupId: uniqueId('alert-rules-config-reader') });
  const producer = kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  try {
    events = await collectAlertEvents(alertsReader, config.kafka.topics.alerts);
    await configReader.connect();
    await configReader.subscribe({ topic: config.kafka.topics.config, fromBeginning: true });
    void configReader.run({
      eachMessage: ({ message }) => {
        const rule = decodeConfigChange(message.value)?.rule;
        configRecords.push({ key: message.key?.toString() ?? '', threshold: rule ? (rule.threshold as number) : null });
        return Promise.resolve();
      },
    });
    await producer.connect();

    // A bad rule: 400 naming the field; no file, nothing on the topic.
    const badRes = await app.inject({ method: 'POST', url: '/api/alerts/rules', payload: { id: 'hot', metric: 'in_bps', threshold: 80_000, clearThreshold: 90_000 } });
    assert.equal(badRes.statusCode, 400);
    assert.match(badRes.json<{ message: string }>().message, /^body\/clearThreshold: must be <= threshold \(80000\)/);
    assert.equal(existsSync(file), false);

    const created = await app.inject({ method: 'POST', url: '/api/alerts/rules', payload: { id: 'hot', metric: 'in_bps', threshold: 80_000, clearThreshold: 40_000, scope: { devices: ['synth'] } } });
    assert.equal(created.statusCode, 201, created.body);
    assert.deepEqual(parseRulesText(readFileSync(file, 'utf8'), 'alerts.yaml', []).rules.map((r) => `${r.id}:${r.threshold}`), ['hot:80000']);
    await waitFor('rule:hot on netmon.config', () => configRecords.some((r) => r.key === 'rule:hot' && r.threshold === 80_000), 30_000);
    await waitFor('the running processor to take the rule', () => stage.rules.some((r) => r.id === 'hot'), 30_000);
    // A second rule that fires from the first window on, and is deleted while firing (below).
    const always = await app.inject({ method: 'POST', url: '/api/alerts/rules', payload: { id: 'always', metric: 'in_bps', threshold: 1000, scope: { devices: ['synth'] } } });
    assert.equal(always.statusCode, 201, always.body);
    await waitFor('the running processor to take rule always', () => stage.rules.some((r) => r.id === 'always'), 30_000);

    // Samples: 10 s polls, 1 kB/s, then 20 kB/s (160 kbit/s) inbound in windows 2-4, then 1 kB/s again.
    const rates = [1000, 1000, 20_000, 20_000, 20_000, 1000, 1000, 1000];
    const w0 = Math.floor(Date.now() / W) * W - 10 * W;
    const sample = steppedRateSamples(rates, w0);
    const send = (from: number, to: number) => sendSamples(producer, config.kafka.topics.samples, sample, from, to);
    await send(0, 30);
    const firing = await waitFor('the firing event of the new rule', () => events.find((e) => e.ruleId === 'hot' && e.transition === 'firing'), 90_000);
    assert.equal(firing.windowStart, w0 + 2 * W);
    assert.equal(firing.value, 160_000);
    assert.equal(firing.deviceId, 'synth');

    // Changed threshold, same metric and scope: the processor keeps the firing state, so falling
    // traffic resolves it (a fresh state would have nothing to resolve).
    const changed = await app.inject({ method: 'PUT', url: '/api/alerts/rules/hot', payload: { id: 'hot', metric: 'in_bps', threshold: 100_000, clearThreshold: 40_000, scope: { devices: ['synth'] } } });
    assert.equal(changed.statusCode, 200, changed.body);
    await waitFor('the processor to take the new threshold', () => stage.rules.some((r) => r.id === 'hot' && r.threshold === 100_000), 30_000);
    // Deleted while firing: its alert ends with the processor's next windows, as resolved, naming the removal.
    assert.ok(events.some((e) => e.ruleId === 'always' && e.transition === 'firing'), 'rule always fired');
    assert.equal((await app.inject({ method: 'DELETE', url: '/api/alerts/rules/always' })).statusCode, 204);
    await waitFor('the processor to drop rule always', () => !stage.rules.some((r) => r.id === 'always'), 30_000);
    await send(31, rates.length * 6);
    const ended = await waitFor('the end of rule always', () => events.find((e) => e.ruleId === 'always' && e.transition === 'resolved'), 90_000);
    assert.match(ended.message ?? '', /the rule was removed$/);
    assert.equal(events.filter((e) => e.ruleId === 'always' && e.transition === 'resolved').length, 1);
    const resolved = await waitFor('the resolved event', () => events.find((e) => e.ruleId === 'hot' && e.transition === 'resolved'), 90_000);
    assert.equal(resolved.windowStart, w0 + 5 * W);
    assert.equal(resolved.threshold, 100_000);
    assert.deepEqual(events.filter((e) => e.ruleId === 'hot').map((e) => `${(e.windowStart - w0) / W}:${e.transition}`), ['2:firing', '5:resolved']);

    // Deleted: tombstone on the topic, gone from the file and from the processor.
    const deleted = await app.inject({ method: 'DELETE', url: '/api/alerts/rules/hot' });
    assert.equal(deleted.statusCode, 204);
    assert.deepEqual(parseRulesText(readFileSync(file, 'utf8'), 'alerts.yaml', []).rules, []);
    await waitFor('the rule:hot tombstone', () => configRecords.some((r) => r.key === 'rule:hot' && r.threshold === null), 30_000);
    await waitFor('the processor to drop the rule', () => stage.rules.length === 0, 30_000);
  } finally {
    await alertsReader.disconnect();
    await configReader.disconnect();
    await producer.disconnect();
    await app.close();
    await store.stop();
    supervisor.shutdown('test finished');
    await running;
  }
});
