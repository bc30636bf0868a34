// The send bound: picked from what describeConfigs says (topic, then broker, then Kafka's default),
// and the adapter's fallbacks with a fake admin (refused by ACLs, a resource error, a missing entry).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../log.js';
import { BATCH_OVERHEAD_BYTES, KAFKA_DEFAULT_MESSAGE_MAX_BYTES, pickMessageLimit, readMessageLimits, sendBound, sendBoundOf, type MessageLimit } from './message-limit.js';

test('pickMessageLimit: the topic, else the broker, else the default', () => {
  const cases: Array<{ name: string; said: { topic?: string | null; broker?: string | null }; want: MessageLimit }> = [
    { name: 'topic set', said: { topic: '65536', broker: '2000000' }, want: { limitBytes: 65_536, source: 'topic' } },
    { name: 'topic missing', said: { broker: '2000000' }, want: { limitBytes: 2_000_000, source: 'broker' } },
    { name: 'topic unreadable', said: { topic: 'lots', broker: '300000' }, want: { limitBytes: 300_000, source: 'broker' } },
    { name: 'zero is no answer', said: { topic: '0', broker: null }, want: { limitBytes: KAFKA_DEFAULT_MESSAGE_MAX_BYTES, source: 'default' } },
    { name: 'nothing said', said: {}, want: { limitBytes: KAFKA_DEFAULT_MESSAGE_MAX_BYTES, source: 'default' } },
  ];
  for (const c of cases) assert.deepEqual(pickMessageLimit(c.said), c.want, c.name);
});

test('sendBound: the limit less the batch framing; several topics take the smallest', () => {
  assert.equal(sendBound(65_536), 65_536 - BATCH_OVERHEAD_BYTES);
  assert.equal(sendBound({ limitBytes: 2000, source: 'topic' }), 2000 - BATCH_OVERHEAD_BYTES);
  assert.equal(sendBound({ limitBytes: 100, source: 'topic' }), 0, 'a limit below the framing takes no record');
  const limits = new Map<string, MessageLimit>([['a', { limitBytes: 65_536, source: 'topic' }], ['b', { limitBytes: 1_048_588, source: 'broker' }]]);
  assert.equal(sendBoundOf(limits, ['a', 'b']), 65_536 - BATCH_OVERHEAD_BYTES);
  assert.equal(sendBoundOf(limits, ['b', 'unknown']), KAFKA_DEFAULT_MESSAGE_MAX_BYTES - BATCH_OVERHEAD_BYTES);
});

type Describe = Parameters<Parameters<typeof readMessageLimits>[0]['describeConfigs']>[0];

function fakeAdmin(answer: (req: Describe) => unknown) {
  const calls: Describe[] = [];
  return {
    calls,
    admin: {
      describeCluster: () => Promise.resolve({ brokers: [{ nodeId: 7, host: 'h', port: 1 }], controller: 7, clusterId: 'c' }),
      describeConfigs: (req: Describe) => {
        calls.push(req);
        return Promise.resolve().then(() => answer(req));
      },
    } as unknown as Parameters<typeof readMessageLimits>[0],
  };
}

const resource = (name: string, entries: Record<string, string>, errorCode = 0) => ({
  resourceName: name, resourceType: 2, errorCode, errorMessage: errorCode ? 'denied' : null,
  configEntries: Object.entries(entries).map(([configName, configValue]) => ({ configName, configValue, isDefault: false, isSensitive: false, readOnly: false, configSynonyms: [] })),
});

test('readMessageLimits: each topic its own limit; the broker asked only when a topic says nothing', async () => {
  const f = fakeAdmin((req) => {
    if (Number(req.resources[0].type) === 2) return { resources: [resource('small', { 'max.message.bytes': '65536' }), resource('plain', {})] };
    return { resources: [{ ...resource('7', { 'message.max.bytes': '2000000' }), resourceType: 4 }] };
  });
  const limits = await readMessageLimits(f.admin, ['small', 'plain', 'small'], silentLogger);
  assert.deepEqual(limits.get('small'), { limitBytes: 65_536, source: 'topic' });
  assert.deepEqual(limits.get('plain'), { limitBytes: 2_000_000, source: 'broker' });
  assert.equal(f.calls.length, 2);
  assert.equal(f.calls[1].resources[0].name, '7', 'the broker asked by its node id');
});

test('readMessageLimits: refused (ACLs) or failing, the documented default, logged once', async () => {
  const warnings: unknown[] = [];
  const log = { warn: (...a: unknown[]) => void warnings.push(a), debug: () => undefined } as unknown as typeof silentLogger;
  const refused = fakeAdmin(() => {
    throw Object.assign(new Error('Cluster authorization failed'), { type: 'CLUSTER_AUTHORIZATION_FAILED' });
  });
  const limits = await readMessageLimits(refused.admin, ['a', 'b'], log);
  assert.deepEqual([...limits.values()].map((l) => l.source), ['default', 'default']);
  assert.equal(limits.get('a')?.limitBytes, KAFKA_DEFAULT_MESSAGE_MAX_BYTES);
  assert.equal(warnings.length, 1, 'one warning for the whole read');
  const perResource = fakeAdmin((req) => (Number(req.resources[0].type) === 2 ? { resources: [resource('a', {}, 29)] } : { resources: [] }));
  assert.equal((await readMessageLimits(perResource.admin, ['a'], log)).get('a')?.source, 'default');
  assert.equal(warnings.length, 2);
});
