// The collector's wiring: every part that reports run-time failures (the config follower, the
// collector group) is a component of the service under the name it reports, so the supervisor
// restarts that part instead of ending the process with `component-failed`. The parts are stood in
// for by recorders with the same names (their real start needs Kafka; integration tests run those).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../common/config/load.js';
import { systemClock } from '../common/clock.js';
import { createSupervisor, type Component } from '../common/lifecycle.js';
import { silentLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import { createCollectorService } from './main.js';

const policy = { maxRestarts: 2, windowMs: 60_000, baseDelayMs: 1, maxDelayMs: 4 };

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(ok(), what);
}

test('the collector group and the config follower are components of their own, in start order after the SNMP input', () => {
  const { config } = loadConfig(null, {});
  const svc = createCollectorService(silentLogger, { ...config, devices: [] }, { registry: createRegistry({ defaultMetrics: false }), clock: systemClock });
  assert.deepEqual(
    svc.components.map((c) => c.name),
    ['kafka-publisher', 'snmp-input', 'config-follower', 'collector-group'],
  );
  assert.equal(svc.configFollower?.name, 'config-follower');
  assert.equal(svc.group?.name, 'collector-group');
  const solo = createCollectorService(silentLogger, { ...config, collector: { ...config.collector, groupId: '', followConfigTopic: false }, devices: [] }, { registry: createRegistry({ defaultMetrics: false }), clock: systemClock });
  assert.deepEqual(solo.components.map((c) => c.name), ['kafka-publisher', 'snmp-input']);
});

for (const failing of ['config-follower', 'collector-group'])
  test(`a failure reported as ${failing} restarts that part alone; the process keeps running`, async () => {
    const { config } = loadConfig(null, {});
    const supervisor = createSupervisor(silentLogger, { restart: policy });
    const svc = createCollectorService(silentLogger, { ...config, devices: [] }, { registry: createRegistry({ defaultMetrics: false }), clock: systemClock, failures: supervisor });
    const events: string[] = [];
    const stand = svc.components.map((c): Component => ({ name: c.name, start: () => Promise.resolve(void events.push(`start ${c.name}`)), stop: () => Promise.resolve(void events.push(`stop ${c.name}`)) }));
    const running = supervisor.run(stand, { handleSignals: false });
    await until('all started', () => events.length === stand.length);
    supervisor.fail(failing, new Error('consumer crashed for good'));
    await until(`${failing} restarted`, () => events.includes(`start ${failing}`, stand.length));
    assert.deepEqual(events.slice(stand.length), [`stop ${failing}`, `start ${failing}`]);
    supervisor.shutdown('test finished');
    assert.equal(await running, 0, 'no component-failed exit');
  });
