import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSnmpInput, rebooted } from './snmp-input.js';
import { deviceSchema, netmonConfigSchema } from '../../../common/config/schema.js';
import { decodeDeviceStatus } from '../../../common/contracts/device-status.js';
import { silentLogger } from '../../../common/log.js';
import { createRegistry } from '../../../common/metrics.js';

const cases: Array<[string, number | null, number, boolean]> = [
  ['first poll', null, 5, false],
  ['uptime advanced', 1000, 7000, false],
  ['uptime went back: reboot', 900_000, 300, true],
  ['uptime wrapped at 2^32 centiseconds (497 days): not a reboot', 2 ** 32 - 100, 400, false],
];
for (const [name, prev, cur, want] of cases) {
  test(`reboot detection: ${name}`, () => assert.equal(rebooted(prev, cur), want));
}

test('a step of the host wall clock between polls is counted and carried in the device status from then on', { timeout: 20_000 }, async () => {
  const config = netmonConfigSchema.parse({ collector: { pollIntervalSeconds: 1, clockJumpThresholdMs: 2_000, followConfigTopic: false } });
  const device = deviceSchema.parse({ id: 'sw1', host: '127.0.0.1', snmp: { version: '2c', community: 'public' } });
  // The fake clock pair: the wall clock is the real one plus `offset`; the monotonic one is real.
  let offset = 0;
  const statuses: Array<ReturnType<typeof decodeDeviceStatus>> = [];
  const registry = createRegistry({ defaultMetrics: false });
  const input = createSnmpInput(silentLogger, config, {
    devices: [device],
    clock: { now: () => Date.now() + offset },
    monotonic: () => performance.now(),
    registry,
    sessionFactory: () => ({ bulk: () => Promise.reject(new Error('no agent here')), close: () => undefined }),
    sink: {
      publish: (r) => {
        if (r.topic === config.kafka.topics.status && r.value) statuses.push(decodeDeviceStatus(r.value));
      },
    },
  });
  const until = async (what: string, cond: () => boolean) => {
    for (let i = 0; i < 800 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(cond(), `timed out waiting for ${what}`);
  };
  await input.start();
  try {
    await until('two polls', () => statuses.length >= 2);
    assert.ok(statuses.every((s) => s.lastClockJump === null), 'no jump while the clocks agree');
    offset = 10_000;
    const before = statuses.length;
    await until('polls after the step', () => statuses.length >= before + 2);
    const after = statuses.slice(before);
    for (const s of after) {
      assert.ok(s.lastClockJump, 'every status after the step carries it');
      assert.ok(Math.abs(s.lastClockJump.stepMs - 10_000) < 100, `stepMs ${s.lastClockJump.stepMs}`);
    }
    assert.equal(after[0].lastClockJump!.at, after[1].lastClockJump!.at, 'one jump, seen once');
    const jumps = (await registry.getSingleMetric('netmon_collector_clock_jumps_total')!.get()).values[0].value;
    assert.equal(jumps, 1);
  } finally {
    await input.stop();
  }
});
