// The alert stage's two kinds of errors, with fakes for Kafka and the alert history: a permanent
// refusal (InfluxDB 4xx, the broker refusing a record, a record above the topic's limit) sends just
// the refused events or states to the dead-letter topic and the rest is stored; a transient one is
// retried (the dependency shown down meanwhile) until it succeeds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import { netmonConfigSchema } from '../../common/config/schema.js';
import type { AlertEventInput } from '../../common/contracts/alert-event.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import type { Kafka } from '../../common/bus/kafka.js';
import { ErrorCodes, NetmonError } from '../../common/errors.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import type { AlertHistoryStore } from '../../common/store/alert-history.js';
import type { DeadLetterRecord } from '../pipeline/dead-letters.js';
import { createAlertStage } from './alert-stage.js';

const W = 60_000;
const T0 = 1_700_000_040_000 - (1_700_000_040_000 % W);
const config = netmonConfigSchema.parse({});
const topics = config.kafka.topics;

function win(deviceId: string, k: number, inBps: number): WindowResultInput {
  return {
    deviceId, ifIndex: 1, ifName: 'eth0', windowStart: T0 + k * W, windowEnd: T0 + (k + 1) * W,
    inOctets: 0n, outOctets: 0n, inPackets: 0n, outPackets: 0n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n,
    inBps, outBps: 0, inPps: 0, outPps: 0, inAvgPacketSize: null, outAvgPacketSize: null, speed: null,
    inUtilization: null, outUtilization: null, peakInBps: 0, peakOutBps: 0, coverage: 1, sampleCount: 1, revision: 0,
  };
}

type Sent = { topic: string; key: string | null; value: string | null };

/** A Kafka whose producer records what it sent and refuses (for good) what `refuse` says; topics limited to `limitBytes`. */
function fakeKafka(opts: { refuse?: (m: Sent) => boolean; transientFailures?: number; limitBytes?: number } = {}) {
  const sent: Sent[] = [];
  let transient = opts.transientFailures ?? 0;
  const take = (list: Sent[]) => {
    if (transient > 0) {
      transient--;
      return Promise.reject(Object.assign(new Error('Connection error: ECONNREFUSED'), { retriable: true }));
    }
    if (opts.refuse && list.some(opts.refuse)) return Promise.reject(Object.assign(new Error('The request included a message larger than the max message size the server will accept'), { type: 'MESSAGE_TOO_LARGE' }));
    sent.push(...list);
    return Promise.resolve([]);
  };
  const producer = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    send: (r: { topic: string; messages: Array<{ key: string | null; value: string | null }> }) => take(r.messages.map((m) => ({ topic: r.topic, ...m }))),
    sendBatch: (r: { topicMessages: Array<{ topic: string; messages: Array<{ key: string | null; value: string | null }> }> }) => take(r.topicMessages.flatMap((t) => t.messages.map((m) => ({ topic: t.topic, ...m })))),
  };
  const admin = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    fetchTopicOffsets: () => Promise.resolve([]),
    describeCluster: () => Promise.resolve({ brokers: [{ nodeId: 1 }] }),
    describeConfigs: (req: { resources: Array<{ name: string }> }) => Promise.resolve({
      resources: req.resources.map((r) => ({ resourceName: r.name, errorCode: 0, configEntries: [{ configName: 'max.message.bytes', configValue: String(opts.limitBytes ?? 1_048_588) }] })),
    }),
  };
  return { sent, kafka: { producer: () => producer, admin: () => admin } as unknown as Kafka };
}

/** An alert history that refuses for good any batch holding an event `refuse` picks, and records what it took. */
function fakeHistory(refuse: (e: AlertEventInput) => boolean = () => false) {
  const written: AlertEventInput[] = [];
  let calls = 0;
  const history = {
    ensureDatabase: () => Promise.resolve(),
    writeEvents: (events: readonly AlertEventInput[]) => {
      calls++;
      if (events.some(refuse)) return Promise.reject(new NetmonError(ErrorCodes.SINK_REJECTED, 'InfluxDB refused the alert history write (HTTP 400): field type conflict'));
      written.push(...events);
      return Promise.resolve();
    },
  } as unknown as AlertHistoryStore;
  return { history, written, calls: () => calls };
}

const rules = [alertRuleSchema.parse({ id: 'hot', metric: 'in_bps', threshold: 100 })];
const devices = ['a', 'b', 'c', 'd', 'e', 'bad'];
const windows = devices.map((d) => win(d, 0, 500));

async function stageWith(k: ReturnType<typeof fakeKafka>, h: ReturnType<typeof fakeHistory>) {
  const registry = createRegistry({ defaultMetrics: false });
  const stage = createAlertStage(silentLogger, config, { rules, tagsOf: () => [], registry, history: h.history });
  await stage.start(k.kafka);
  return { stage, registry };
}

const letters = (sent: Sent[]) => sent.filter((m) => m.topic === topics.deadletter).map((m) => JSON.parse(m.value!) as DeadLetterRecord);

test('an event InfluxDB refuses for good is dead-lettered alone (the batch bisected); the others are written and published', async () => {
  const k = fakeKafka();
  const h = fakeHistory((e) => e.deviceId === 'bad');
  const { stage, registry } = await stageWith(k, h);
  assert.equal(await stage.handle(windows, () => true), true);
  assert.deepEqual(h.written.map((e) => e.deviceId).sort(), ['a', 'b', 'c', 'd', 'e']);
  assert.ok(h.calls() <= 1 + 2 * Math.ceil(Math.log2(devices.length)) + 1, `bisected: ${h.calls()} writes`);
  const dead = letters(k.sent);
  assert.equal(dead.length, 1);
  assert.match(dead[0].reason, /^rejected: InfluxDB refused the alert event: .*field type conflict/);
  assert.equal(dead[0].topic, 'influxdb');
  assert.equal(dead[0].key, 'hot|bad|1');
  assert.equal((JSON.parse(dead[0].value!) as { deviceId: string }).deviceId, 'bad');
  // The event still goes to the alerts topic and every state to the state topic: only the history missed it.
  assert.equal(k.sent.filter((m) => m.topic === topics.alerts).length, devices.length);
  assert.equal(k.sent.filter((m) => m.topic === topics.alertState).length, devices.length);
  assert.match(await registry.getSingleMetricAsString('netmon_processor_dead_letters_total'), /reason="rejected"} 1/);
  await stage.stop();
});

test('a state the broker refuses for good is dead-lettered; the rest of its send goes through one record at a time', async () => {
  const k = fakeKafka({ refuse: (m) => m.topic === topics.alertState && (m.key ?? '').includes('|bad|') });
  const { stage } = await stageWith(k, fakeHistory());
  assert.equal(await stage.handle(windows, () => true), true);
  const dead = letters(k.sent);
  assert.equal(dead.length, 1);
  assert.match(dead[0].reason, /^rejected: the broker refused the record: .*larger than the max message size/);
  assert.equal(dead[0].topic, topics.alertState);
  assert.equal(k.sent.filter((m) => m.topic === topics.alertState).length, devices.length - 1);
  assert.equal(k.sent.filter((m) => m.topic === topics.alerts).length, devices.length);
  await stage.stop();
});

test("a record alone above the topic's limit is not sent but dead-lettered as too large; sends are cut under the limit", async () => {
  const limitBytes = 4096;
  const k = fakeKafka({ limitBytes, refuse: (m) => Buffer.byteLength(m.value ?? '') > limitBytes });
  const { stage } = await stageWith(k, fakeHistory());
  const big = win(`big ${'x'.repeat(5000)}`, 0, 500);
  assert.equal(await stage.handle([...windows, big], () => true), true);
  const dead = letters(k.sent);
  assert.ok(dead.length >= 1 && dead.every((d) => /^rejected: the record is too large for /.test(d.reason)), JSON.stringify(dead.map((d) => d.reason)));
  assert.ok(dead.every((d) => d.key?.includes('big ')), 'only the big device has its records dead-lettered');
  assert.equal(k.sent.filter((m) => m.topic === topics.alertState).length, devices.length, 'every other state published');
  await stage.stop();
});

test('a transient failure is retried until it succeeds, the dependency shown down meanwhile', async () => {
  const k = fakeKafka({ transientFailures: 2 });
  const { stage, registry } = await stageWith(k, fakeHistory());
  assert.equal(await stage.handle(windows.slice(0, 2), () => true), true);
  assert.equal(letters(k.sent).length, 0);
  assert.equal(k.sent.filter((m) => m.topic === topics.alertState).length, 2);
  assert.match(await registry.getSingleMetricAsString('netmon_dependency_up'), /dependency="kafka"} 1/);
  await stage.stop();
});

const published = (sent: Sent[]) => sent.filter((m) => m.topic === topics.alerts).map((m) => JSON.parse(m.value!) as AlertEventInput);

test('a removed rule ends its alerts: firing ones resolve with the reason, stored and published with the next batch', async () => {
  const k = fakeKafka();
  const h = fakeHistory();
  const { stage } = await stageWith(k, h);
  assert.equal(await stage.handle(windows, () => true), true);
  assert.deepEqual([...new Set(published(k.sent).map((e) => e.transition))], ['firing']);
  k.sent.length = 0;
  await stage.setRules([]);
  // Tombstones of the dropped states go out at once; the ends with the next batch (no rules: no windows evaluated).
  assert.equal(k.sent.filter((m) => m.topic === topics.alertState && m.value === null).length, devices.length);
  assert.equal(published(k.sent).length, 0);
  assert.equal(await stage.handle([win('a', 1, 500)], () => true), true);
  const ends = published(k.sent);
  assert.deepEqual(ends.map((e) => e.deviceId).sort(), [...devices].sort());
  for (const e of ends) {
    assert.equal(e.transition, 'resolved');
    assert.equal(e.ruleId, 'hot');
    assert.equal(e.windowStart, T0);
    assert.match(e.message ?? '', /^RESOLVED hot on .*: the rule was removed$/);
  }
  assert.equal(h.written.filter((e) => e.transition === 'resolved').length, devices.length, 'the ends are in the alert history');
  // Sent once: the next batch has nothing to end.
  k.sent.length = 0;
  assert.equal(await stage.handle([win('a', 2, 500)], () => true), true);
  assert.equal(published(k.sent).length, 0);
  await stage.stop();
});

test('a rule given another metric ends its alerts; a new threshold keeps them firing', async () => {
  const k = fakeKafka();
  const { stage } = await stageWith(k, fakeHistory());
  assert.equal(await stage.handle(windows.slice(0, 2), () => true), true);
  k.sent.length = 0;
  await stage.setRules([alertRuleSchema.parse({ id: 'hot', metric: 'in_bps', threshold: 200 })]);
  assert.equal(await stage.handle([win('a', 1, 500)], () => true), true);
  assert.equal(published(k.sent).filter((e) => e.transition === 'resolved').length, 0, 'same metric and scope: the alerts continue');
  k.sent.length = 0;
  await stage.setRules([alertRuleSchema.parse({ id: 'hot', metric: 'out_bps', threshold: 100 })]);
  assert.equal(await stage.handle([win('c', 2, 500)], () => true), true);
  const ends = published(k.sent).filter((e) => e.transition === 'resolved');
  assert.deepEqual(ends.map((e) => e.deviceId).sort(), ['a', 'b']);
  assert.ok(ends.every((e) => /another metric or scope$/.test(e.message ?? '') && e.metric === 'in_bps'), JSON.stringify(ends.map((e) => e.message)));
  await stage.stop();
});
