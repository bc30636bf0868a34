// The live WebSocket with a real slow client on loopback: one client completes the handshake and
// then never reads; three others read normally. Rounds of window batches are pushed until the hub
// drops the slow one; every round reaches the readers in full meanwhile (a blocked broadcast would
// stop them and fail the test by its bounded wait). Once the slow client reads again, it finds the
// "resync" message and the 4000 close in its stream. No timing assertions: only what arrived.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { netmonConfigSchema } from '../../common/config/schema.js';
import { createLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { sampleWindow } from '../../dashboard/dashboard.fixture.js';
import { createMemoryFeed } from '../../dashboard/feed/window-feed.js';
import { createDashboard } from '../../dashboard/server.js';
import { waitFor } from './stack.js';

const MAX_ROUNDS = 400;
const WINDOWS_PER_ROUND = 500;

/** A WebSocket handshake on a raw socket, then paused: the server's frames pile up unread. */
async function stalledClient(port: number): Promise<{ socket: Socket; received: Buffer[] }> {
  const socket = connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => resolve());
  });
  socket.write(['GET /live HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', '', ''].join('\r\n'));
  await new Promise<void>((resolve) => {
    socket.once('data', (d: Buffer) => {
      received.push(d);
      resolve();
    });
  });
  assert.match(Buffer.concat(received).toString('latin1'), /^HTTP\/1\.1 101/);
  socket.on('data', (d: Buffer) => received.push(d));
  socket.pause();
  return { socket, received };
}

void test('live: a client that never reads is dropped for resync and does not hold up the others', { timeout: 120_000 }, async (t) => {
  // Anonymous viewers may read /live (the test's clients carry no credentials).
  const config = netmonConfigSchema.parse({ dashboard: { host: '127.0.0.1', port: 0, auth: { anonymousRole: 'viewer' } } });
  const feed = createMemoryFeed({ perSeries: 2 });
  const registry = createRegistry({ defaultMetrics: false });
  const log = createLogger({ level: process.env.NETMON_TEST_LOG_LEVEL ?? 'error', destination: process.stderr });
  const dash = createDashboard(log, config, { registry, feed, store: null, devices: () => [] }, { maxBufferedBytes: 256 * 1024 });
  await dash.start();
  // Stopped whatever fails below: a server left open keeps the test file alive until its timeout.
  t.after(() => dash.stop());
  const url = dash.url();
  assert.ok(url);
  const port = Number(new URL(url).port);
  const slow = await stalledClient(port);
  t.after(() => slow.socket.destroy());

  const readers = await Promise.all(
    [0, 1, 2].map(async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/live`);
      const frames: string[] = [];
      ws.on('message', (d: Buffer) => frames.push(d.toString('utf8', 0, 40)));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      return { ws, frames };
    }),
  );
  t.after(() => {
    for (const r of readers) r.ws.close();
  });
  await waitFor('the hellos', () => readers.every((r) => r.frames.length === 1), 10_000, 20);

  const dropped = async () => (await registry.getSingleMetricAsString('netmon_dashboard_ws_slow_dropped_total')).includes('netmon_dashboard_ws_slow_dropped_total 1');
  let rounds = 0;
  while (!(await dropped()) && rounds < MAX_ROUNDS) {
    const start = 1_800_000_000_000 + rounds * 60_000;
    for (let i = 1; i <= WINDOWS_PER_ROUND; i++) feed.push(sampleWindow({ deviceId: `d${i % 10}`, ifIndex: i, windowStart: start, windowEnd: start + 60_000 }));
    rounds++;
    // Each reader gets this round's frame before the next is pushed, however far behind the slow client is.
    await waitFor(`round ${rounds} at every reader`, () => readers.every((r) => r.frames.length === 1 + rounds), 20_000, 5);
  }
  t.diagnostic(`slow client dropped after ${rounds} rounds of ${WINDOWS_PER_ROUND} windows`);
  assert.ok(await dropped(), `the slow client was dropped within ${MAX_ROUNDS} rounds`);
  assert.equal(dash.app.server.listening, true);
  for (const r of readers) {
    assert.equal(r.frames.length, 1 + rounds, 'every round reached every reader');
    assert.ok(r.frames.slice(1).every((f) => f.startsWith('{"type":"windows"')));
    assert.equal(r.ws.readyState, WebSocket.OPEN);
  }

  // The readers keep getting windows after the drop.
  const after = 1_900_000_000_000;
  feed.push(sampleWindow({ windowStart: after, windowEnd: after + 60_000 }));
  await waitFor('a window after the drop', () => readers.every((r) => r.frames.length === 2 + rounds), 20_000, 5);

  // The slow client reads again: its stream ends with the resync message and a 4000 "resync" close.
  slow.socket.resume();
  const closeFrame = Buffer.from([0x88, 0x08, 0x0f, 0xa0, ...Buffer.from('resync')]);
  const stream = await waitFor(
    'the resync message and close frame in the slow client stream',
    () => {
      const all = Buffer.concat(slow.received);
      return all.includes(Buffer.from('{"type":"resync"}')) && all.includes(closeFrame) ? all : null;
    },
    60_000,
    50,
  );
  assert.ok(stream.indexOf(Buffer.from('{"type":"resync"}')) < stream.indexOf(closeFrame), 'resync message before the close');
});
