// Issue 14's quick-start bug, at its root: `netmon dashboard` (the real CLI, as `netmon all` runs
// it) with the README's devices.yaml (${NETMON_SNMP_HOST:-...} and friends) and no NETMON_SNMP_*
// in its real environment must publish the stack's snmpd (address, port, community from the stack
// env file), not localhost:161/public. The environment is resolved once by the command and the
// device store reads the file with that one, like the loader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../common/package-root.js';
import { createLogger } from '../../common/log.js';
import { findStackEnv } from '../../cli/stack-env.js';
import { createKafkaConfigTopic } from '../../dashboard/devices/config-topic.js';
import { stackEnv, testConfig, uniqueId, waitFor } from './stack.js';

void test('netmon dashboard publishes the stack snmpd of a devices.yaml written with ${...}', { timeout: 120_000 }, async (t) => {
  const stack = stackEnv();
  const stackEnvFile = findStackEnv();
  assert.ok(stackEnvFile, 'the stack env file');
  const id = uniqueId('qsenv');
  const config = testConfig(id);
  const dir = mkdtempSync(join(tmpdir(), 'netmon-qsenv-'));
  // The repository's own device list, as the README's quick start uses it.
  copyFileSync(join(repoRoot(), 'config', 'devices.yaml'), join(dir, 'devices.yaml'));
  const file = join(dir, 'netmon.yaml');
  writeFileSync(file, JSON.stringify({ log: { level: 'warn' }, kafka: { topics: config.kafka.topics }, dashboard: { host: '127.0.0.1', port: 0, groupIdPrefix: `${id}-dash` }, devicesFile: 'devices.yaml' }));

  // The stack's settings only through the stack env file, as after `npm run stack:up`.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NETMON_')));
  env.NETMON_STACK_ENV = stackEnvFile;
  const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'netmon.js'), 'dashboard', '--config', file], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });

  const topic = createKafkaConfigTopic(createLogger({ level: 'error', destination: process.stderr }), config.kafka, { groupIdPrefix: `${id}-reader`, readTimeoutMs: 10_000 });
  const device = await waitFor(`the device on ${config.kafka.topics.config} (stderr: ${stderr})`, async () => (await topic.readDevices()).get('localhost'), 60_000, 500);
  assert.equal(device.host, stack.snmpHost);
  assert.equal(device.port, stack.snmpPort);
  assert.equal(device.snmp.version === '2c' && device.snmp.community.reveal(), stack.community);
  assert.notEqual(stack.snmpPort, 161, 'the stack snmpd is not on the default port, so the test tells them apart');
});
