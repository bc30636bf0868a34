// The CLI as a user runs it: bin/netmon.js in a child process, exit codes and messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from '../common/package-root.js';
import { defaultConfigPath } from './netmon.js';

const bin = join(repoRoot(), 'bin', 'netmon.js');
const dir = mkdtempSync(join(tmpdir(), 'netmon-cli-'));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NETMON_STACK_ENV: join(dir, 'no-stack-env') } });

test('check-config exits 0 on the shipped config and prints it with secrets hidden', () => {
  const r = run('check-config', '--config', join(repoRoot(), 'config', 'netmon.yaml'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /netmon\.yaml: OK/);
  assert.match(r.stdout, /devices\.yaml: OK \(1 device\)/);
  assert.match(r.stdout, /"community": "<secret>"/);
  assert.match(r.stdout, /alert rules: OK \(\d+ rules?\)/);
});

test('check-config names a bad alert rule with its path', () => {
  const sub = join(dir, 'with-rules');
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, 'netmon.yaml'), 'devicesFile: devices.yaml\n');
  writeFileSync(join(sub, 'devices.yaml'), 'devices: []\n');
  writeFileSync(join(sub, 'alerts.yaml'), 'rules:\n  - { id: hot, metric: in_bps, comparator: ">", threshold: lots }\n');
  const r = run('check-config', '--config', join(sub, 'netmon.yaml'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /alerts\.yaml: rules\[0\]\.threshold/);
});

test('check-config exits non-zero on an unknown key and names it with the allowed keys', () => {
  const f = join(dir, 'bad.yaml');
  writeFileSync(f, 'collector:\n  pollIntervalSecs: 5\n');
  const r = run('check-config', '--config', f);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /collector\.pollIntervalSecs: unknown key "pollIntervalSecs"; allowed keys here: pollIntervalSeconds/);
  assert.match(r.stderr, /NETMON_ERR_CONFIG_INVALID/);
});

test('check-config validates a device list on its own', () => {
  const f = join(dir, 'devices.yaml');
  writeFileSync(f, 'devices:\n  - {id: sw1, host: 192.0.2.1, snmp: {version: 2c, community: c}}\n  - {id: sw1, host: 192.0.2.2, snmp: {version: 2c, community: c}}\n');
  const r = run('check-config', '--config', f);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /devices\[1\]\.id: duplicate device id "sw1"/);
});

test('a missing config file, an unknown command, an unknown flag and --help', () => {
  const missing = run('check-config', '--config', join(dir, 'nope.yaml'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read config file .*nope\.yaml/);
  const unknown = run('frobnicate');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"; commands: collector, processor, dashboard, all, check-config/);
  const flag = run('collector', '--colour');
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /--colour/);
  for (const cmd of ['collector', 'processor', 'dashboard', 'all', 'check-config', 'windows', 'pcap', 'lab']) {
    const help = run(cmd, '--help');
    assert.equal(help.status, 0, cmd);
    assert.match(help.stdout, new RegExp(`usage: netmon ${cmd}`));
  }
  const windows = run('windows', '--device', 'x', '--from', 'yesterday', '--to', '2026-01-01T00:00:00Z');
  assert.equal(windows.status, 2);
  assert.match(windows.stderr, /--from: not an ISO 8601 time/);
});

test('README.md carries the configuration reference exactly as the schema generates it', async () => {
  const { readFileSync } = await import('node:fs');
  const { configReference } = await import('./config-reference.js');
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  assert.ok(readme.includes(configReference()), 'README.md is stale: paste the output of `npx netmon config-reference`');
});

test('--version prints the package version and the runtime, and exits 0', () => {
  const version = (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  for (const flag of ['--version', '-V', 'version']) {
    const r = run(flag);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `netmon ${version} (node ${process.version}, ${process.platform}-${process.arch})`);
  }
});

test('without --config the configuration is looked up in $NETMON_CONFIG, ./config, /etc/netmon, then the package', () => {
  const seen: string[] = [];
  const none = (p: string) => (seen.push(p), false);
  assert.equal(defaultConfigPath({}, none), null);
  assert.deepEqual(seen, [resolve('config/netmon.yaml'), '/etc/netmon/netmon.yaml', join(repoRoot(), 'config/netmon.yaml')]);
  assert.equal(defaultConfigPath({}, (p) => p === '/etc/netmon/netmon.yaml'), '/etc/netmon/netmon.yaml');
  assert.equal(defaultConfigPath({ NETMON_CONFIG: 'x/y.yaml' }, () => true), resolve('x/y.yaml'));
});
