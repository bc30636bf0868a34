// Tests of the live hub's rules with recording fake sockets: origin policy, hello then windows,
// the slow-client resync drop, and the heartbeat. The real WebSocket path is in server.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { silentLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import { createMemoryFeed } from './feed/window-feed.js';
import { CLOSE_POLICY, CLOSE_RESYNC, createLiveHub, originAllowed } from './live-hub.js';
import { sampleWindow } from './fakes.js';

class FakeSocket extends EventEmitter {
  readyState = 1; // OPEN
  bufferedAmount = 0;
  readonly sent: string[] = [];
  closedWith: { code: number; reason: string } | null = null;
  terminated = false;
  pings = 0;
  send(msg: string) {
    this.sent.push(msg);
  }
  close(code: number, reason: string) {
    this.closedWith = { code, reason };
    this.readyState = 2; // CLOSING
  }
  terminate() {
    this.terminated = true;
    this.readyState = 3;
  }
  ping() {
    this.pings++;
  }
  asWs(): WebSocket {
    return this as unknown as WebSocket;
  }
}

const types = (s: FakeSocket) => s.sent.map((m) => (JSON.parse(m) as { type: string }).type);

void test('originAllowed', async (t) => {
  const cases: Array<{ name: string; origin: string | undefined; host: string | undefined; want: boolean }> = [
    { name: 'no origin (curl, scripts)', origin: undefined, host: '127.0.0.1:8080', want: true },
    { name: 'same host and port', origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080', want: true },
    { name: 'https page, same host', origin: 'https://netmon.example:8443', host: 'netmon.example:8443', want: true },
    { name: 'host case differs', origin: 'http://NetMon.example', host: 'netmon.example', want: true },
    { name: 'other port', origin: 'http://127.0.0.1:9999', host: '127.0.0.1:8080', want: false },
    { name: 'other site', origin: 'http://evil.example', host: '127.0.0.1:8080', want: false },
    { name: 'opaque origin', origin: 'null', host: '127.0.0.1:8080', want: false },
    { name: 'file page', origin: 'file://', host: '127.0.0.1:8080', want: false },
    { name: 'origin but no host header', origin: 'http://127.0.0.1:8080', host: undefined, want: false },
  ];
  for (const c of cases) await t.test(c.name, () => assert.equal(originAllowed(c.origin, c.host), c.want));
});

void test('live hub: hello with the recent windows, then each window; foreign origins refused', () => {
  const feed = createMemoryFeed();
  feed.push(sampleWindow({ revision: 0 }));
  const hub = createLiveHub(silentLogger, { feed, registry: createRegistry({ defaultMetrics: false }) }, { maxBufferedBytes: 1024, heartbeatMs: 60_000 });
  hub.start();
  const good = new FakeSocket();
  const foreign = new FakeSocket();
  hub.accept(good.asWs(), { host: '127.0.0.1:1' });
  hub.accept(foreign.asWs(), { origin: 'http://evil.example', host: '127.0.0.1:1' });
  assert.deepEqual(foreign.closedWith, { code: CLOSE_POLICY, reason: 'origin not allowed' });
  assert.deepEqual(foreign.sent, []);

  feed.push(sampleWindow({ revision: 1 }));
  assert.deepEqual(types(good), ['hello', 'window']);
  const hello = JSON.parse(good.sent[0]) as { recent: Array<{ inOctets: unknown; revision: number }> };
  assert.equal(hello.recent[0].inOctets, '9007199254740993', 'counters travel as exact decimal strings');
  assert.equal(hub.clientCount(), 1);

  hub.stop();
  assert.equal(good.closedWith?.code, 1001);
  feed.push(sampleWindow({ revision: 2 }));
  assert.equal(good.sent.length, 2, 'no broadcast after stop');
});

void test('live hub: a slow client is closed for resync; the others keep receiving', () => {
  const feed = createMemoryFeed();
  const registry = createRegistry({ defaultMetrics: false });
  const hub = createLiveHub(silentLogger, { feed, registry }, { maxBufferedBytes: 4 * 1024 * 1024, heartbeatMs: 60_000 });
  hub.start();
  const slow = new FakeSocket();
  const fast = new FakeSocket();
  hub.accept(slow.asWs(), {});
  hub.accept(fast.asWs(), {});
  slow.bufferedAmount = 5 * 1024 * 1024;
  feed.push(sampleWindow({ windowStart: 0, windowEnd: 60_000 }));
  feed.push(sampleWindow({ windowStart: 60_000, windowEnd: 120_000 }));
  assert.deepEqual(slow.closedWith, { code: CLOSE_RESYNC, reason: 'resync' });
  assert.deepEqual(types(slow), ['hello']);
  assert.deepEqual(types(fast), ['hello', 'window', 'window']);
  assert.equal(hub.clientCount(), 1);
  hub.stop();
});

void test('live hub: a client that stops answering pings is terminated', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const hub = createLiveHub(silentLogger, { feed: createMemoryFeed(), registry: createRegistry({ defaultMetrics: false }) }, { maxBufferedBytes: 1024, heartbeatMs: 1000 });
  hub.start();
  const silent = new FakeSocket();
  const answering = new FakeSocket();
  answering.ping = () => answering.emit('pong');
  hub.accept(silent.asWs(), {});
  hub.accept(answering.asWs(), {});
  t.mock.timers.tick(1000);
  assert.equal(silent.pings, 1);
  assert.equal(silent.terminated, false);
  t.mock.timers.tick(1000);
  assert.equal(silent.terminated, true);
  assert.equal(answering.terminated, false);
  assert.equal(hub.clientCount(), 1);
  hub.stop();
});
