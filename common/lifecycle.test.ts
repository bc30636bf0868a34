import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from './log.js';
import { createRegistry } from './metrics.js';
import { createSupervisor, processFault, SupervisorExit, type Component } from './lifecycle.js';

const tick = () => new Promise((r) => setImmediate(r));

/** A component that records its starts and stops in `events`; `failStarts` starts throw. */
function recorder(name: string, events: string[], opts: { failStarts?: number } = {}): Component & { starts: number } {
  let failStarts = opts.failStarts ?? 0;
  const c = {
    name,
    starts: 0,
    start() {
      c.starts++;
      events.push(`start ${name}`);
      if (c.starts > 1 && failStarts > 0) {
        failStarts--;
        return Promise.reject(new Error(`${name} cannot start`));
      }
      return Promise.resolve();
    },
    stop() {
      events.push(`stop ${name}`);
      return Promise.resolve();
    },
  };
  return c;
}

async function waitUntil(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

async function metric(registry: ReturnType<typeof createRegistry>, name: string, component: string): Promise<number> {
  const m = await registry.getSingleMetric(name)!.get();
  return m.values.find((v) => v.labels.component === component)?.value ?? 0;
}

const policy = { maxRestarts: 2, windowMs: 60_000, baseDelayMs: 1, maxDelayMs: 4 };

test('a component that fails at run time is stopped and started again; the others keep running; counted', async () => {
  const events: string[] = [];
  const registry = createRegistry({ defaultMetrics: false });
  const s = createSupervisor(silentLogger, { restart: policy });
  s.register(registry);
  const [a, b, c] = ['a', 'b', 'c'].map((n) => recorder(n, events));
  const running = s.run([a, b, c], { handleSignals: false });
  await waitUntil('all started', () => events.length === 3);
  s.fail('b', new Error('lost its connection'));
  await waitUntil('b restarted', () => b.starts === 2);
  assert.deepEqual(events.slice(3), ['stop b', 'start b'], 'only b was restarted');
  assert.equal(await metric(registry, 'netmon_component_restarts_total', 'b'), 1);
  assert.equal(await metric(registry, 'netmon_component_failures_total', 'b'), 1);
  s.shutdown('test finished');
  assert.equal(await running, 0, 'a restarted component does not make the exit code non-zero');
  assert.deepEqual(events.slice(5), ['stop c', 'stop b', 'stop a']);
});

test('a crash loop: past maxRestarts in the window, every component stops in reverse order and run() rejects with the reason', async () => {
  const events: string[] = [];
  const registry = createRegistry({ defaultMetrics: false });
  const s = createSupervisor(silentLogger, { restart: policy });
  s.register(registry);
  const a = recorder('a', events);
  const b = recorder('b', events);
  const running = s.run([a, b], { handleSignals: false });
  await waitUntil('started', () => events.length === 2);
  for (let i = 1; i <= policy.maxRestarts; i++) {
    s.fail('a', new Error(`poison ${i}`));
    await waitUntil(`restart ${i}`, () => a.starts === i + 1);
  }
  s.fail('a', new Error('poison 3'));
  const err = await running.then(() => assert.fail('run() resolved'), (e: unknown) => e);
  assert.ok(err instanceof SupervisorExit);
  assert.equal(err.reason, 'crash-loop');
  assert.equal(err.code, 'NETMON_ERR_INTERNAL');
  assert.match(err.message, /^crash-loop: component a failed 3 times within 60 s; last error: poison 3$/);
  assert.deepEqual(events.slice(-2), ['stop b', 'stop a'], 'stopped in reverse order');
  assert.equal(await metric(registry, 'netmon_component_restarts_total', 'a'), 2);
  assert.equal(await metric(registry, 'netmon_component_failures_total', 'a'), 3);
});

test('a restart whose start fails counts as a failure and is retried within the policy', async () => {
  const events: string[] = [];
  const s = createSupervisor(silentLogger, { restart: { ...policy, maxRestarts: 3 } });
  const a = recorder('a', events, { failStarts: 1 });
  const running = s.run([a], { handleSignals: false });
  await waitUntil('started', () => events.length === 1);
  s.fail('a', new Error('boom'));
  await waitUntil('running again', () => a.starts === 3);
  // The failed start is stopped too, so what it half opened is released.
  assert.deepEqual(events, ['start a', 'stop a', 'start a', 'stop a', 'start a']);
  s.shutdown('done');
  assert.equal(await running, 0);
});

test('failures of one component do not use up another one\'s restarts; old failures leave the window', async () => {
  let t = 0;
  const events: string[] = [];
  const s = createSupervisor(silentLogger, { restart: { ...policy, maxRestarts: 1, windowMs: 1_000 }, now: () => t });
  const a = recorder('a', events);
  const b = recorder('b', events);
  const running = s.run([a, b], { handleSignals: false });
  await waitUntil('started', () => events.length === 2);
  s.fail('a', new Error('x'));
  await waitUntil('a restarted', () => a.starts === 2);
  s.fail('b', new Error('y'));
  await waitUntil('b restarted', () => b.starts === 2);
  t = 1_000; // a's failure is a window old: forgotten
  s.fail('a', new Error('x again'));
  await waitUntil('a restarted again', () => a.starts === 3);
  s.shutdown('done');
  assert.equal(await running, 0);
});

test('a shutdown during a restart wait stops at once and does not start the component again', async () => {
  const events: string[] = [];
  const s = createSupervisor(silentLogger, { restart: { ...policy, baseDelayMs: 60_000, maxDelayMs: 60_000 } });
  const a = recorder('a', events);
  const running = s.run([a], { handleSignals: false });
  await waitUntil('started', () => events.length === 1);
  s.fail('a', new Error('x'));
  await waitUntil('a stopped for the restart', () => events.length === 2);
  s.shutdown('operator');
  assert.equal(await running, 0);
  assert.deepEqual(events, ['start a', 'stop a'], 'not started again, not stopped twice');
});

test('a failure reported under a name the supervisor did not start ends the run with component-failed', async () => {
  const events: string[] = [];
  const s = createSupervisor(silentLogger, { restart: policy });
  const running = s.run([recorder('a', events)], { handleSignals: false });
  await waitUntil('started', () => events.length === 1);
  s.fail('ghost', new Error('x'));
  await assert.rejects(running, (e: unknown) => e instanceof SupervisorExit && e.reason === 'component-failed' && /ghost failed: x/.test(e.message));
  assert.deepEqual(events, ['start a', 'stop a']);
});

test('process faults go to the supervisor that owns the process, and only while it runs', async () => {
  assert.equal(processFault('unhandled-rejection', new Error('nobody')), false, 'no owner: the caller ends the process');
  const events: string[] = [];
  const s = createSupervisor(silentLogger);
  const running = s.run([recorder('a', events), recorder('b', events)]);
  await waitUntil('started', () => events.length === 2);
  assert.equal(processFault('unhandled-rejection', new Error('a promise nobody awaited')), true);
  await assert.rejects(running, (e: unknown) => e instanceof SupervisorExit && e.reason === 'unhandled-rejection' && /a promise nobody awaited/.test(e.message));
  assert.deepEqual(events, ['start a', 'start b', 'stop b', 'stop a']);
  await tick();
  assert.equal(processFault('uncaught-exception', new Error('late')), false, 'a finished run no longer owns the process');
});

test('a fault while stopping is logged, not acted on twice', async () => {
  const events: string[] = [];
  const s = createSupervisor(silentLogger);
  let fault!: () => void;
  const slow: Component = { name: 'slow', start: () => Promise.resolve(), stop: () => new Promise<void>((r) => { events.push('stopping slow'); fault = () => { s.fatal('uncaught-exception', new Error('second')); r(); }; }) };
  const running = s.run([slow], { handleSignals: false });
  await tick();
  s.fatal('unhandled-rejection', new Error('first'));
  await waitUntil('stopping', () => events.length === 1);
  fault();
  await assert.rejects(running, (e: unknown) => e instanceof SupervisorExit && e.reason === 'unhandled-rejection' && /first/.test(e.message));
});

test('stopping is bounded as a whole: once the shutdown time is spent, each component left gets the minimum; all are asked, in reverse order', async () => {
  const asked: string[] = [];
  const given: number[] = [];
  let t = 0;
  // Components that never stop; the supervisor's clock moves on by the time each one was given.
  const hung = (name: string): Component => ({ name, start: () => Promise.resolve(), stop: () => (asked.push(name), new Promise<void>(() => {})) });
  const logged: Array<Record<string, unknown>> = [];
  const log = { ...silentLogger, error: (o: Record<string, unknown>) => void logged.push(o) } as unknown as typeof silentLogger;
  const s = createSupervisor(log, { stopTimeoutMs: 4_000, shutdownTimeoutMs: 10_000, now: () => t });
  const cs = ['a', 'b', 'c', 'd', 'e'].map(hung);
  const running = s.run(cs, { handleSignals: false });
  await tick();
  const started = Date.now();
  const origSetTimeout = globalThis.setTimeout;
  // Record each stop limit (the supervisor's only timer while stopping) and advance the fake clock by it.
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    given.push(ms);
    t += ms;
    return origSetTimeout(fn, 1);
  }) as typeof setTimeout;
  try {
    s.shutdown('test finished');
    assert.equal(await running, 1, 'a component that did not stop makes the exit code 1');
  } finally {
    globalThis.setTimeout = origSetTimeout;
  }
  assert.deepEqual(asked, ['e', 'd', 'c', 'b', 'a']);
  // 4 + 4 s of the 10 s: the third gets the 2 s left, the rest the minimum, 1 s.
  assert.deepEqual(given, [4_000, 4_000, 2_000, 1_000, 1_000]);
  assert.equal(logged.length, 5);
  assert.match(String(logged[2].err), /did not stop within 2000 ms/);
  assert.ok(Date.now() - started < 1_000);
});
