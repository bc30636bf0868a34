// ensureTopics' waiting logic against a fake admin (the real broker is in the integration tests).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { netmonConfigSchema } from '../config/schema.js';
import { ensureTopics, netmonTopics, topicOffsets } from './kafka.js';

const kafka = netmonConfigSchema.parse({}).kafka;
const all = netmonTopics(kafka).map((t) => t.topic);
const unknownTopic = Object.assign(new Error('This server does not host this topic-partition'), { retriable: true });

function fakeAdmin(script: { existing?: string[]; create?: Error; metadata: Array<Error | 'leaderless' | 'ok'> }) {
  const calls = { create: 0, metadata: 0 };
  return {
    calls,
    admin: {
      listTopics: () => Promise.resolve(script.existing ?? []),
      createTopics: () => {
        calls.create++;
        return script.create ? Promise.reject(script.create) : Promise.resolve(true);
      },
      fetchTopicMetadata: ({ topics }: { topics?: string[] } = {}) => {
        const step = script.metadata[Math.min(calls.metadata++, script.metadata.length - 1)];
        if (step instanceof Error) return Promise.reject(step);
        return Promise.resolve({ topics: (topics ?? []).map((name) => ({ name, partitions: [{ partitionErrorCode: 0, partitionId: 0, leader: step === 'ok' ? 1 : -1, replicas: [1], isr: [1], offlineReplicas: [] }] })) });
      },
    },
  };
}
const noSleep = () => Promise.resolve();

test('ensureTopics waits out a just-started broker answering "unknown topic" after creating them', async () => {
  const f = fakeAdmin({ create: unknownTopic, metadata: [unknownTopic, 'leaderless', 'ok'] });
  assert.deepEqual(await ensureTopics(f.admin, kafka, { sleep: noSleep }), all);
  assert.equal(f.calls.metadata, 3);
});

test('ensureTopics creates only the missing topics and does nothing when all exist', async () => {
  const f = fakeAdmin({ existing: all.slice(1), metadata: ['ok'] });
  assert.deepEqual(await ensureTopics(f.admin, kafka, { sleep: noSleep }), [all[0]]);
  const none = fakeAdmin({ existing: all, metadata: ['ok'] });
  assert.deepEqual(await ensureTopics(none.admin, kafka, { sleep: noSleep }), []);
  assert.equal(none.calls.create, 0);
});

test('ensureTopics waits for leaders of topics that exist already: another service has just created them', async () => {
  const f = fakeAdmin({ existing: all, metadata: ['leaderless', 'leaderless', 'ok'] });
  assert.deepEqual(await ensureTopics(f.admin, kafka, { sleep: noSleep }), []);
  assert.equal(f.calls.create, 0);
  assert.equal(f.calls.metadata, 3, 'asked until every partition had a leader');
});

test('ensureTopics reports topics that never settle by name, and passes other errors through', async () => {
  await assert.rejects(ensureTopics(fakeAdmin({ metadata: [unknownTopic] }).admin, kafka, { settleMs: 0, sleep: noSleep }), new RegExp(`${all[0]}.*did not become usable.*does not host`));
  await assert.rejects(ensureTopics(fakeAdmin({ metadata: ['leaderless'] }).admin, kafka, { settleMs: 0, sleep: noSleep }), /no leader yet/);
  await assert.rejects(ensureTopics(fakeAdmin({ create: new Error('authorization failed'), metadata: ['ok'] }).admin, kafka, { sleep: noSleep }), /authorization failed/);
});

test("kafkajs' chatter about what it retries is debug while a broker warms up, warn after; other errors stay errors", async () => {
  const { kafkaLogLevel, KAFKA_WARMUP_MS } = await import('./kafka.js');
  const { default: kafkajs } = await import('kafkajs');
  const { ERROR, WARN, INFO, DEBUG } = kafkajs.logLevel;
  const refused = 'Connection error: connect ECONNREFUSED 127.0.0.1:19092';
  assert.equal(kafkaLogLevel(ERROR, refused, 1_000), 'debug');
  assert.equal(kafkaLogLevel(ERROR, 'Failed to connect to seed broker, trying another broker from the list', 5_000), 'debug');
  assert.equal(kafkaLogLevel(WARN, 'There is no leader for this topic-partition as we are in the middle of a leadership election', 2_000), 'debug');
  assert.equal(kafkaLogLevel(ERROR, refused, KAFKA_WARMUP_MS + 1), 'warn', 'an outage after warm-up is still visible');
  // What a broker restart says to a group member after warm-up: each is retried (a new coordinator, a rejoin), so warn, not error.
  for (const said of ['This is not the correct coordinator for this group', 'The coordinator is not aware of this member', 'Specified group generation id is not valid', 'This server is not the leader for that topic-partition', 'The broker is not available']) {
    assert.equal(kafkaLogLevel(ERROR, `Response Heartbeat(key: 12, version: 3) ${said}`, KAFKA_WARMUP_MS * 2), 'warn', said);
  }
  assert.equal(kafkaLogLevel(ERROR, 'Crash: KafkaJSNonRetriableError: The message exceeds the maximum size', 1_000), 'error', 'a real error is never hidden');
  assert.equal(kafkaLogLevel(WARN, 'something odd', 1_000), 'warn');
  assert.equal(kafkaLogLevel(WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees', KAFKA_WARMUP_MS * 2), 'debug', 'netmon bounds those retries on purpose');
  assert.equal(kafkaLogLevel(INFO, 'Consumer has joined the group', 1_000), 'debug');
  assert.equal(kafkaLogLevel(DEBUG, 'Request Metadata', 1_000), 'trace');
});

test('topicOffsets asks again while Kafka answers with a retriable error (a leader not ready yet), then passes the answer on; other errors at once', async () => {
  const notLeader = Object.assign(new Error('This server is not the leader for that topic-partition'), { retriable: true, type: 'NOT_LEADER_FOR_PARTITION' });
  const answer = [{ partition: 0, low: '0', high: '5' }];
  let calls = 0;
  const waits: number[] = [];
  const flaky = { fetchTopicOffsets: () => (++calls <= 3 ? Promise.reject(notLeader) : Promise.resolve(answer)) };
  assert.deepEqual(await topicOffsets(flaky, 't', { sleep: (ms) => (waits.push(ms), Promise.resolve()) }), answer);
  assert.equal(calls, 4);
  assert.deepEqual(waits, [100, 200, 400]);
  const denied = Object.assign(new Error('Not authorized'), { retriable: false });
  await assert.rejects(topicOffsets({ fetchTopicOffsets: () => Promise.reject(denied) }, 't', { sleep: () => Promise.resolve() }), /Not authorized/);
  // Past settleMs the last retriable error is the caller's.
  let n = 0;
  await assert.rejects(topicOffsets({ fetchTopicOffsets: () => (n++, Promise.reject(notLeader)) }, 't', { settleMs: 1_000, sleep: () => Promise.resolve() }), /not the leader/);
  assert.equal(n, 5, '100 + 200 + 400 + 800 ms waited, then given up');
});
