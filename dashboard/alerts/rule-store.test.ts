// The rule store and the rules API with a fake config topic and a real temp file: create, replace and
// delete land in the file (comments kept) and on the topic in order; a bad rule is a 400 naming the
// field and changes nothing; hand edits go out with the next change and a broken one blocks changes;
// a failed publish goes out with the next change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import type { AlertRule } from '../../common/config/alerts-schema.js';
import { registerErrorHandler } from '../http-errors.js';
import { registerAlertRoutes } from './alert-routes.js';
import { createRuleStore } from './rule-store.js';
import type { RuleRecord, RuleTopic } from './rule-topic.js';

function fakeTopic(onTopic: string[] = [], records: RuleRecord[] = []): RuleTopic & { sent: string[]; failNext: boolean; remote: (r: RuleRecord) => Promise<void> } {
  let follower: ((r: RuleRecord) => void | Promise<void>) | null = null;
  const t = {
    sent: [] as string[],
    failNext: false,
    async follow(apply: (r: RuleRecord) => void | Promise<void>) {
      for (const r of records) await apply(r);
      follower = apply;
    },
    async remote(r: RuleRecord) {
      await follower?.(r);
    },
    connect: () => Promise.resolve(),
    readRuleIds: () => Promise.resolve(new Set(onTopic)),
    disconnect: () => Promise.resolve(),
    publish(changes: readonly { id: string; rule: AlertRule | null }[]) {
      if (t.failNext) {
        t.failNext = false;
        return Promise.reject(new Error('broker down'));
      }
      for (const c of changes) t.sent.push(`${c.id}=${c.rule ? c.rule.threshold : 'null'}`);
      return Promise.resolve();
    },
  };
  return t;
}

async function setup(initial?: string, onTopic: string[] = [], shared?: { records: RuleRecord[] }) {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-rules-'));
  const file = join(dir, 'alerts.yaml');
  if (initial !== undefined) writeFileSync(file, initial);
  const topic = fakeTopic(onTopic, shared?.records);
  const store = createRuleStore(silentLogger, { file, channelNames: ['ops'], shared: shared !== undefined }, { topic, clock: { now: () => 1 }, registry: createRegistry({ defaultMetrics: false }) });
  await store.start();
  const app = Fastify();
  registerErrorHandler(app);
  registerAlertRoutes(app, { rules: [], history: null, actions: null, clock: { now: () => 1 }, registry: createRegistry({ defaultMetrics: false }), log: silentLogger, ruleStore: store });
  await app.ready();
  return { file, topic, store, app };
}

void test('rules API: create, replace, delete through the file and the topic', async () => {
  const { file, topic, store, app } = await setup('# my rules\nrules:\n  - id: old   # kept\n    metric: in_pps\n    threshold: 10\n', ['old', 'removed-by-hand']);
  assert.deepEqual(topic.sent, ['old=10', 'removed-by-hand=null'], 'at start the file\'s rules are published, a rule gone from the file is tombstoned');
  let r = await app.inject({ method: 'POST', url: '/api/alerts/rules', payload: { id: 'hot', metric: 'in_bps', threshold: 1000, clearThreshold: 500, channels: ['ops'] } });
  assert.equal(r.statusCode, 201, r.body);
  assert.equal(r.json<AlertRule>().forWindows, 1);
  r = await app.inject({ method: 'POST', url: '/api/alerts/rules', payload: { id: 'hot', metric: 'in_bps', threshold: 1 } });
  assert.equal(r.statusCode, 409);
  r = await app.inject({ method: 'PUT', url: '/api/alerts/rules/hot', payload: { id: 'hot', metric: 'in_bps', threshold: 2000, clearThreshold: 500, channels: ['ops'] } });
  assert.equal(r.statusCode, 200, r.body);
  r = await app.inject({ method: 'PUT', url: '/api/alerts/rules/nope', payload: { id: 'nope', metric: 'in_bps', threshold: 2000 } });
  assert.equal(r.statusCode, 404);
  r = await app.inject({ method: 'DELETE', url: '/api/alerts/rules/old' });
  assert.equal(r.statusCode, 204);
  assert.deepEqual(topic.sent, ['old=10', 'removed-by-hand=null', 'hot=1000', 'hot=2000', 'old=null']);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /# my rules/);
  assert.match(text, /threshold: 2000/);
  assert.doesNotMatch(text, /id: old/);
  assert.deepEqual((await app.inject({ method: 'GET', url: '/api/alerts/rules' })).json<AlertRule[]>().map((x) => x.id), ['hot']);
  await app.close();
  await store.stop();
});

void test('rules API: a bad rule is a 400 naming the field, and the file is not touched', async () => {
  const { file, topic, store, app } = await setup();
  const post = (payload: unknown) => app.inject({ method: 'POST', url: '/api/alerts/rules', payload: payload as Record<string, unknown> });
  const cases: [unknown, RegExp][] = [
    [{ id: 'a', metric: 'in_bps', threshold: 'lots' }, /^body\/threshold: /],
    [{ id: 'a', metric: 'in_bps', threshold: 10, clearThreshold: 20 }, /^body\/clearThreshold: must be <= threshold/],
    [{ id: 'a', metric: 'in_bps', threshold: 10, channels: ['pager'] }, /^body\/channels\/0: unknown channel "pager"/],
    [{ id: 'a', metric: 'device_unreachable', threshold: 0 }, /^body\/scope\/target: must be "device"/],
    [{ id: 'a', metric: 'in_bps', threshold: 10, scope: { interfaces: ['('] } }, /^body\/scope\/interfaces\/0: must be a valid regular expression/],
    [{ id: 'a', metric: 'in_bps', threshold: 10, extra: 1 }, /^body\/extra: unknown key/],
  ];
  for (const [payload, message] of cases) {
    const r = await post(payload);
    assert.equal(r.statusCode, 400, r.body);
    assert.match(r.json<{ message: string }>().message, message);
  }
  const put = await app.inject({ method: 'PUT', url: '/api/alerts/rules/a', payload: { id: 'b', metric: 'in_bps', threshold: 1 } });
  assert.equal(put.statusCode, 400);
  assert.match(put.json<{ message: string }>().message, /^body\/id: must be "a"/);
  assert.equal(existsSync(file), false, 'no file was written');
  assert.deepEqual(topic.sent, []);
  await app.close();
  await store.stop();
});

void test('rule store: an unpublished change and a hand edit go out with the next change; a broken hand edit blocks changes', async () => {
  const { file, topic, store } = await setup('');
  topic.failNext = true;
  await assert.rejects(store.create({ id: 'a', metric: 'in_bps', threshold: 1 }), /saved to the alert rules file, but netmon.config could not be written \(broker down\)/);
  assert.match(readFileSync(file, 'utf8'), /id: a/);
  await store.create({ id: 'b', metric: 'in_bps', threshold: 2 });
  assert.deepEqual(topic.sent.sort(), ['a=1', 'b=2']);
  // A hand edit goes out with the next API change.
  writeFileSync(file, readFileSync(file, 'utf8').replace('threshold: 1\n', 'threshold: 7\n'));
  await store.create({ id: 'c', metric: 'in_bps', threshold: 3 });
  assert.deepEqual(topic.sent.slice(2).sort(), ['a=7', 'c=3']);
  writeFileSync(file, 'rules:\n  - id: a\n    metric: in_bps\n    threshold: nope\n');
  await assert.rejects(store.create({ id: 'd', metric: 'in_bps', threshold: 4 }), /the alert rules file cannot be used.*rules\[0\]\.threshold/);
  assert.match(readFileSync(file, 'utf8'), /threshold: nope/, 'the hand edit is not overwritten');
  await store.stop();
});

void test('shared: the file is made to hold the topic\'s rules at start; other instances\' rules reach it; an unusable one is skipped', async () => {
  const { file, topic, store } = await setup('# my rules\nrules:\n  - id: mine\n    metric: in_pps\n    threshold: 10\n', [], { records: [{ id: 'x', rule: { id: 'x', metric: 'in_pps', threshold: 5 }, own: false }] });
  assert.deepEqual(topic.sent, [], 'the topic is the source of truth: nothing of the file is published');
  assert.deepEqual(store.list().map((r) => r.id), ['x']);
  assert.match(readFileSync(file, 'utf8'), /^# my rules/);
  assert.doesNotMatch(readFileSync(file, 'utf8'), /id: mine/);
  await topic.remote({ id: 'y', rule: { id: 'y', metric: 'out_pps', threshold: 7 }, own: false });
  assert.deepEqual(store.list().map((r) => r.id), ['x', 'y']);
  assert.match(readFileSync(file, 'utf8'), /id: y/);
  await topic.remote({ id: 'z', rule: { id: 'z', metric: 'in_pps', threshold: 1, channels: ['nowhere'] }, own: false });
  assert.equal(store.get('z'), undefined, 'a rule naming a channel this instance does not have is not applied');
  await topic.remote({ id: 'x', rule: null, own: false });
  assert.deepEqual(store.list().map((r) => r.id), ['y']);
  await store.stop();
});
