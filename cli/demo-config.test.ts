import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab } from '../collector/lab/lab.js';
import { loadAlertRules } from '../common/config/alert-rules.js';
import { loadConfig } from '../common/config/load.js';
import { netmonConfigSchema } from '../common/config/schema.js';
import { silentLogger } from '../common/log.js';
import { DEMO_LAB_DEVICES, demoFiles, demoLabOptions } from './demo-config.js';

test('the demo labs: about 20 switches of 24 and 48 ports on consecutive ports, day-shaped traffic', () => {
  const labs = demoLabOptions(16100).map((o) => createLab(silentLogger, o));
  const devices = labs.flatMap((l) => l.devices);
  assert.equal(devices.length, DEMO_LAB_DEVICES);
  assert.ok(DEMO_LAB_DEVICES >= 15 && DEMO_LAB_DEVICES <= 30);
  assert.deepEqual([...new Set(devices.map((d) => d.ports))], [24, 48]);
  assert.deepEqual(devices.map((d) => d.port), devices.map((_, i) => 16100 + i));
  assert.equal(new Set(devices.map((d) => d.id)).size, devices.length, 'ids are unique across the labs');
  assert.ok(labs.every((l) => l.options.daySeconds <= 3600));
});

test('the demo files load as netmon configuration: literal values, own topics and database, 10 s polls, 60 s windows, both rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-demo-config-'));
  try {
    const labs = demoLabOptions(16100).map((o) => createLab(silentLogger, o));
    const files = demoFiles({
      labDevices: labs.flatMap((l) => l.deviceEntries('2c')),
      hostSnmp: { host: '127.0.0.1', port: 11161, community: 'stack-ro' },
      dashboardPort: 8081,
      adminPassword: 'a-random-password',
      writtenAt: new Date(0),
    });
    for (const [name, text] of Object.entries(files) as Array<[string, string]>) writeFileSync(join(dir, name), text);
    // An empty environment: nothing in the files depends on one.
    const loaded = loadConfig(join(dir, 'netmon.yaml'), {});
    const c = loaded.config;
    assert.equal(c.collector.pollIntervalSeconds, 10);
    assert.equal(c.processor.windowSeconds, 60);
    assert.equal(c.dashboard.port, 8081);
    assert.equal(c.dashboard.auth.adminPassword?.reveal(), 'a-random-password');
    const defaults = netmonConfigSchema.parse({});
    for (const [k, topic] of Object.entries(c.kafka.topics)) assert.notEqual(topic, defaults.kafka.topics[k as keyof typeof defaults.kafka.topics], `topic ${k} is the demo's own`);
    assert.notEqual(c.influx.database, defaults.influx.database);
    assert.notEqual(c.processor.groupId, defaults.processor.groupId);
    assert.notEqual(c.collector.groupId, defaults.collector.groupId, "the demo's collectors form a group of their own");
    assert.equal(loaded.devices.length, DEMO_LAB_DEVICES + 1);
    const host = loaded.devices.find((d) => d.id === 'localhost');
    assert.equal(host?.port, 11161);
    assert.equal(host?.snmp.version === '2c' && host.snmp.community.reveal(), 'stack-ro');
    assert.deepEqual(loadAlertRules(c, loaded.configPath).rules.map((r) => [r.id, r.metric, r.flapping.flips]), [
      ['link-saturated', 'in_utilization', 4],
      ['uplink-down', 'oper_down', 2],
    ]);
    assert.match(files['netmon.yaml'], /^# The netmon demo/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
