// Tests of the dashboard page's live socket (dashboard/public/utils/live-socket.js, plain browser JS
// imported here as it is) with a fake WebSocket and timer: the view in the URL, backoff with jitter
// after a lost connection, at once after a resync (message or close 4000) and a view change, the
// REST resync after every reconnect but a view change, and the status texts the page shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importPublic } from './public.fixture.js';

interface FakeSocket {
  query: string;
  readyState: number;
  closed: Array<[number, string]>;
  onmessage: ((ev: { data: string }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  close(code: number, reason: string): void;
}
interface LiveSocket { start(): void; viewChanged(): void }
interface Module {
  CLOSE_RESYNC: number;
  createLiveSocket: (options: {
    open(query: string): FakeSocket;
    view(): string;
    onMessage(msg: { type: string }): void;
    onState(state: string, text: string): void;
    onReconnect(): void;
    setTimeout(fn: () => void, ms: number): void;
    random(): number;
  }) => LiveSocket;
}

const { createLiveSocket, CLOSE_RESYNC } = await importPublic<Module>('utils/live-socket.js');

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const messages: string[] = [];
  const states: string[] = [];
  let reconnects = 0;
  let view = 'view=overview';
  const live = createLiveSocket({
    open(query) {
      const s: FakeSocket = { query, readyState: 1, closed: [], onmessage: null, onclose: null, close(code, reason) { this.closed.push([code, reason]); } };
      sockets.push(s);
      return s;
    },
    view: () => view,
    onMessage: (msg) => messages.push(msg.type),
    onState: (state, text) => states.push(`${state}: ${text}`),
    onReconnect: () => reconnects++,
    setTimeout: (fn, ms) => timers.push({ fn, ms }),
    random: () => 0.5,
  });
  const last = () => sockets[sockets.length - 1];
  return {
    live, sockets, timers, messages, states,
    reconnects: () => reconnects,
    setView: (v: string) => { view = v; },
    send: (msg: unknown) => last().onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) }),
    close: (code: number) => { last().readyState = 3; last().onclose?.({ code }); },
    /** Runs the pending reconnect timer and returns its delay. */
    fire: () => { const t = timers.shift(); assert.ok(t, 'a reconnect is scheduled'); t.fn(); return t.ms; },
  };
}

void test('connects with the view in the URL; a hello makes it live; messages go to the page', () => {
  const h = harness();
  h.live.start();
  assert.equal(h.sockets[0].query, 'view=overview');
  h.send({ type: 'hello' });
  h.send({ type: 'windows' });
  h.send('not json');
  assert.deepEqual(h.messages, ['hello', 'windows']);
  assert.deepEqual(h.states, ['live: live']);
  assert.equal(h.reconnects(), 0, 'the first hello is not a reconnect');
});

void test('a lost connection reconnects with exponential backoff (0.5 s doubling to 10 s), reset by a hello', () => {
  const h = harness();
  h.live.start();
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    h.close(1006);
    delays.push(h.fire());
  }
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  assert.equal(h.states.at(-1), 'reconnecting: reconnecting…');
  h.send({ type: 'hello' });
  h.close(1006);
  assert.equal(h.fire(), 500, 'the hello reset the backoff');
});

void test('jitter: +-25 % from the random source', () => {
  for (const [random, want] of [[0, 375], [0.999_999, 625]] as const) {
    const sockets: FakeSocket[] = [];
    const timers: number[] = [];
    createLiveSocket({
      open: (query) => { const s = { query, readyState: 1, closed: [], onmessage: null, onclose: null, close() {} } as FakeSocket; sockets.push(s); return s; },
      view: () => 'view=overview', onMessage() {}, onState() {}, onReconnect() {},
      setTimeout: (_fn, ms) => timers.push(ms),
      random: () => random,
    }).start();
    sockets[0].onclose?.({ code: 1006 });
    assert.equal(timers[0], want);
  }
});

void test('resync: the message or close 4000 reconnects at once, then reloads from REST', async (t) => {
  for (const how of ['message', 'close code'] as const) {
    await t.test(how, () => {
      const h = harness();
      h.live.start();
      h.send({ type: 'hello' });
      if (how === 'message') {
        h.send({ type: 'resync' });
        h.close(1000);
      } else h.close(CLOSE_RESYNC);
      assert.equal(h.states.at(-1), 'reconnecting: resyncing…');
      assert.equal(h.fire(), 0);
      assert.equal(h.sockets.length, 2);
      h.send({ type: 'hello' });
      assert.equal(h.reconnects(), 1, 'the state the hello does not carry comes from REST');
    });
  }
});

void test('a view change reconnects at once with the new view, without a REST reload', () => {
  const h = harness();
  h.live.start();
  h.send({ type: 'hello' });
  h.setView('view=device&device=r1');
  h.live.viewChanged();
  assert.deepEqual(h.sockets[0].closed, [[1000, 'view change']]);
  h.close(1000);
  assert.equal(h.fire(), 0);
  assert.equal(h.sockets[1].query, 'view=device&device=r1');
  h.send({ type: 'hello' });
  assert.equal(h.reconnects(), 0);
  // The next lost connection is a reconnect again.
  h.close(1006);
  h.fire();
  h.send({ type: 'hello' });
  assert.equal(h.reconnects(), 1);
});

void test('a view change before the socket is open waits for it; a refusal says so', () => {
  const h = harness();
  h.live.viewChanged();
  assert.equal(h.sockets.length, 0, 'no socket yet: nothing to close');
  h.live.start();
  h.sockets[0].readyState = 0;
  h.live.viewChanged();
  assert.deepEqual(h.sockets[0].closed, [], 'still connecting: it will connect with the view it asks for');
  h.close(1008);
  assert.equal(h.states.at(-1), 'reconnecting: refused by server, retrying…');
  assert.equal(h.fire(), 500);
});
