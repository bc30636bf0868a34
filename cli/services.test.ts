import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from './services.js';
import { loadConfig } from '../common/config/load.js';
import { silentLogger } from '../common/log.js';

test('services assemble in dependency order; without the dashboard a service gets its own /metrics listener', () => {
  const loaded = loadConfig(null, {});
  const names = (parts: Array<'collector' | 'processor' | 'dashboard'>) => assemble(silentLogger, loaded, parts).components.map((c) => c.name);
  assert.deepEqual(names(['collector']), ['metrics-server', 'kafka-publisher', 'snmp-input', 'config-follower', 'collector-group']);
  assert.deepEqual(names(['processor']), ['metrics-server', 'processor']);
  assert.deepEqual(names(['collector', 'processor', 'dashboard']), ['kafka-publisher', 'snmp-input', 'config-follower', 'collector-group', 'processor', 'dashboard-window-feed', 'dashboard']);
  const quiet = loadConfig(null, { NETMON_LOG_LEVEL: 'warn' });
  assert.equal(quiet.config.log.level, 'warn');
});
