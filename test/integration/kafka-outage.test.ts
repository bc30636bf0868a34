// A Kafka outage under the collector's publisher: the broker is stopped while records keep coming,
// then started again. Every record arrives in order, except the ones the bounded queue had to drop,
// and those are counted exactly. The broker is the stack's own (stopped by its pid file, restarted
// by the stack script), so this test runs serially with the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../common/package-root.js';
import { parseEnvFile } from '../../cli/stack-env.js';
import { createKafka } from '../../common/bus/kafka.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createKafkaPublisher } from '../../collector/publisher/kafka-publisher.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

function stackEnvFile(): Record<string, string> {
  return parseEnvFile(readFileSync(process.env.NETMON_STACK_ENV ?? join(repoRoot(), '.stack', 'env'), 'utf8'));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopKafka(): Promise<void> {
  const pid = Number(readFileSync(stackEnvFile().NETMON_KAFKA_PID_FILE, 'utf8').trim());
  assert.ok(pid > 0 && alive(pid), 'the stack runs Kafka');
  process.kill(pid, 'SIGTERM');
  await waitFor('Kafka to exit', () => !alive(pid), 60_000, 100);
}

function startKafka(): void {
  const r = spawnSync('bash', [join(repoRoot(), 'scripts', 'stack', 'up.sh')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `stack:up failed: ${r.stdout}\n${r.stderr}`);
}

const cases = [
  { name: 'a queue larger than the outage loses nothing', maxQueue: 100_000 },
  { name: 'a queue smaller than the outage drops new records, counted exactly', maxQueue: 150 },
];

for (const c of cases) test(`Kafka outage: ${c.name}; everything else arrives in order`, { timeout: 240_000 }, async (t) => {
  const config = testConfig(uniqueId('outage'));
  const kafka = createKafka(silentLogger, config.kafka, 'outage');
  const registry = createRegistry({ defaultMetrics: false });
  const maxQueue = c.maxQueue;
  const publisher = createKafkaPublisher(silentLogger, config.kafka, { kafka, registry }, { maxQueue });
  await publisher.start();
  let seq = 0;
  // publish() is synchronous: a record is refused exactly when the queue is full as it is offered.
  const refused: number[] = [];
  const publish = () => {
    if (publisher.queueDepth() >= maxQueue) refused.push(seq);
    publisher.publish({ key: 'dev1', value: JSON.stringify({ seq: seq++ }) });
  };
  const timer = setInterval(publish, 10);
  const consumer = kafka.consumer({ groupId: uniqueId('outage-reader') });
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const downAt = seq;
    await stopKafka();
    await new Promise((r) => setTimeout(r, 4000));
    startKafka();
    await new Promise((r) => setTimeout(r, 1000));
    clearInterval(timer);
    const total = seq;
    await waitFor('the publisher to drain', () => publisher.queueDepth() === 0, 120_000, 200);
    const dropped = Number((await registry.getSingleMetric('netmon_collector_records_dropped_total')!.get()).values[0]?.value ?? 0);
    t.diagnostic(`${total} records, ${total - downAt} from the stop request on, queue bound ${maxQueue}, dropped ${dropped}`);
    if (maxQueue < total - downAt) assert.ok(dropped > 0, 'the outage outlasted the queue, so some records were dropped');
    else assert.equal(dropped, 0, 'nothing dropped while the queue had room');

    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.topics.samples, fromBeginning: true });
    const seen: number[] = [];
    void consumer.run({ eachMessage: ({ message }) => Promise.resolve(void seen.push((JSON.parse(message.value!.toString()) as { seq: number }).seq)) });
    await waitFor(`${total - dropped} records to be readable`, () => new Set(seen).size >= total - dropped, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const unique = [...new Set(seen)];
    assert.equal(unique.length, total - dropped, 'every record not counted as dropped arrived');
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `in order at ${i}: ${seen[i - 1]} then ${seen[i]}`);
    const missing = Array.from({ length: total }, (_, i) => i).filter((i) => !unique.includes(i));
    assert.equal(missing.length, dropped);
    assert.deepEqual(missing, refused, 'exactly the records offered to a full queue are missing');
  } finally {
    clearInterval(timer);
    await consumer.disconnect();
    await publisher.stop();
  }
});
