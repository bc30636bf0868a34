// The window sink's two kinds of failure, with recording fakes: a transient store error is retried
// (the dependency shown down meanwhile); windows the store or the broker refuse for good are
// dead-lettered with the reason, and every other window is written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createWindowSink } from './window-sink.js';
import type { DeadLetterRecord } from './dead-letters.js';
import type { Producer } from '../../common/bus/kafka.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { ErrorCodes, NetmonError } from '../../common/errors.js';
import { createHealth } from '../../common/health.js';
import { silentLogger } from '../../common/log.js';
import { Counter, createRegistry } from '../../common/metrics.js';
import type { WindowStore } from '../../common/store/influx.js';

const win = (deviceId: string, windowStart = 60_000): WindowResultInput => ({
  deviceId, ifIndex: 1, ifName: 'eth0', windowStart, windowEnd: windowStart + 60_000,
  inOctets: 1n, outOctets: 1n, inPackets: 1n, outPackets: 1n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n,
  inBps: 1, outBps: 1, inPps: 1, outPps: 1, inAvgPacketSize: 1, outAvgPacketSize: 1, speed: 1, inUtilization: 1, outUtilization: 1,
  peakInBps: 1, peakOutBps: 1, coverage: 1, sampleCount: 1, revision: 0,
});

test('refused windows are dead-lettered with the reason; transient store errors retried with the dependency down meanwhile', async () => {
  const registry = createRegistry({ defaultMetrics: false });
  const health = createHealth(registry, { now: () => 0 });
  const written: string[] = [];
  let storeCalls = 0;
  let downDuringRetry = false;
  const store = {
    writeWindows(ws: readonly WindowResultInput[]) {
      if (++storeCalls === 1) return Promise.reject(new NetmonError(ErrorCodes.INFLUX, 'InfluxDB write failed: HTTP 503'));
      downDuringRetry = health.report().dependencies.some((d) => d.dependency === 'influxdb' && !d.up);
      written.push(...ws.filter((w) => w.deviceId !== 'old').map((w) => w.deviceId));
      return Promise.resolve(ws.filter((w) => w.deviceId === 'old').map((w) => ({ window: w, reason: 'InfluxDB refused the window: HTTP 400: partial write: points beyond retention policy dropped=1' })));
    },
  } as unknown as WindowStore;
  const topics = new Map<string, string[]>();
  const producer = {
    send({ topic, messages }: { topic: string; messages: Array<{ key: string; value: string }> }) {
      if (topic === 'w' && messages.some((m) => m.key === 'huge')) return Promise.reject(Object.assign(new Error('refused'), { cause: { type: 'MESSAGE_TOO_LARGE' } }));
      topics.set(topic, [...(topics.get(topic) ?? []), ...messages.map((m) => m.value)]);
      return Promise.resolve([]);
    },
  } as unknown as Producer;
  const counter = new Counter({ name: 'dl_total', help: 'x', labelNames: ['reason'], registers: [registry] });
  const sink = createWindowSink(silentLogger, { store, producer, topic: 'w', deadLetters: { topic: 'dl', counter, health }, health });
  const ok = await sink.write([win('a'), win('old', 0), win('huge'), win('b')], () => true);
  assert.equal(ok, true);
  assert.equal(downDuringRetry, true);
  assert.equal(health.report().ok, true);
  assert.deepEqual(written, ['a', 'huge', 'b']);
  assert.deepEqual((topics.get('w') ?? []).map((v) => (JSON.parse(v) as { deviceId: string }).deviceId), ['a', 'old', 'b']);
  const dead = (topics.get('dl') ?? []).map((v) => JSON.parse(v) as DeadLetterRecord);
  assert.deepEqual(dead.map((d) => [d.key, d.topic, d.reason.split(':')[0]]), [['old', 'influxdb', 'rejected'], ['huge', 'w', 'rejected']]);
  assert.match(dead[0].reason, /beyond retention/);
  assert.match(dead[1].reason, /broker refused/);
  assert.equal((JSON.parse(dead[0].value ?? '{}') as { deviceId: string }).deviceId, 'old');
  assert.match(await registry.metrics(), /dl_total\{reason="rejected"\} 2/);
});
