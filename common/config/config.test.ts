import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadConfig, loadDevicesFile, looksLikeDevicesFile } from './load.js';
import { ConfigError } from '../errors.js';
import { repoRoot } from '../package-root.js';

const dir = mkdtempSync(join(tmpdir(), 'netmon-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('the built-in defaults load and are frozen', () => {
  const loaded = loadConfig(null, {});
  assert.equal(loaded.config.processor.windowSeconds, 60);
  assert.deepEqual(loaded.config.kafka.brokers, ['127.0.0.1:9092']);
  assert.equal(loaded.config.kafka.topics.samples, 'netmon.samples');
  assert.ok(Object.isFrozen(loaded.config.kafka.topics));
  assert.deepEqual(loaded.devices, []);
});

test('every file in config/ loads', () => {
  const configDir = join(repoRoot(), 'config');
  // alerts.yaml is the alert rules file, loaded by common/config/alert-rules.test.ts.
  const files = readdirSync(configDir).filter((f) => f.endsWith('.yaml') && f !== 'alerts.yaml');
  assert.ok(files.length >= 2, 'config/ has netmon.yaml and devices.yaml');
  for (const f of files) {
    const p = join(configDir, f);
    if (looksLikeDevicesFile(p, {})) assert.ok(loadDevicesFile(p, {}).length >= 1, f);
    else assert.ok(loadConfig(p, {}).devices.length >= 1, f);
  }
});

const badConfigs: Array<{ name: string; yaml: string; expect: RegExp }> = [
  { name: 'unknown top-level key', yaml: 'kafak:\n  brokers: [a:1]\n', expect: /kafak: unknown key "kafak"; allowed keys here: log, kafka, influx, collector, processor, dashboard, devicesFile/ },
  { name: 'unknown nested key', yaml: 'kafka:\n  topics:\n    sample: x\n', expect: /kafka\.topics\.sample: unknown key "sample"; allowed keys here: samples, windows, alerts, config, deadletter/ },
  { name: 'wrong type', yaml: 'collector:\n  pollIntervalSeconds: fast\n', expect: /collector\.pollIntervalSeconds/ },
  { name: 'bad enum lists allowed values', yaml: 'log:\n  level: loud\n', expect: /log\.level: .*"fatal"|log\.level.*fatal/ },
  { name: 'window must divide an hour', yaml: 'processor:\n  windowSeconds: 7\n', expect: /processor\.windowSeconds: must divide 3600/ },
  { name: 'broker without port', yaml: 'kafka:\n  brokers: [localhost]\n', expect: /kafka\.brokers\[0\]: must be host:port/ },
  { name: 'broken YAML', yaml: 'kafka: [\n', expect: /not valid YAML/ },
];

for (const c of badConfigs) {
  test(`a bad netmon.yaml is rejected with the path: ${c.name}`, () => {
    const p = file(`bad-${c.name.replace(/\W+/g, '-')}.yaml`, `devicesFile: ${join(dir, 'none.yaml')}\n${c.yaml}`);
    assert.throws(() => loadConfig(p, {}), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.message, c.expect);
      return true;
    });
  });
}

const badDevices: Array<{ name: string; yaml: string; expect: RegExp }> = [
  { name: 'duplicate id', yaml: 'devices:\n  - {id: a, host: h, snmp: {version: 2c, community: c}}\n  - {id: a, host: h2, snmp: {version: 2c, community: c}}\n', expect: /devices\[1\]\.id: duplicate device id "a"/ },
  { name: 'v3 authPriv without privKey', yaml: 'devices:\n  - {id: a, host: h, snmp: {version: "3", username: u, authProtocol: sha, authKey: k12345678, privProtocol: aes}}\n', expect: /devices\[0\]\.snmp\.privKey: required for level authPriv/ },
  { name: 'unknown snmp version', yaml: 'devices:\n  - {id: a, host: h, snmp: {version: 4, community: c}}\n', expect: /devices\[0\]\.snmp.*version must be one of "1", "2c", "3"/ },
  { name: 'bad host', yaml: 'devices:\n  - {id: a, host: "rm -rf", snmp: {version: 2c, community: c}}\n', expect: /devices\[0\]\.host: must be a hostname or an IP address/ },
  { name: 'unknown device key', yaml: 'devices:\n  - {id: a, host: h, comunity: c, snmp: {version: 2c, community: c}}\n', expect: /devices\[0\]\.comunity: unknown key "comunity"; allowed keys here: id, host, port/ },
  { name: 'port out of range', yaml: 'devices:\n  - {id: a, host: h, port: 70000, snmp: {version: 2c, community: c}}\n', expect: /devices\[0\]\.port/ },
];

for (const c of badDevices) {
  test(`a bad devices.yaml is rejected with the path: ${c.name}`, () => {
    const p = file(`dev-${c.name.replace(/\W+/g, '-')}.yaml`, c.yaml);
    assert.throws(() => loadDevicesFile(p, {}), (err: unknown) => err instanceof ConfigError && c.expect.test(err.message));
  });
}

test('environment variables override connection settings and interpolate ${VAR:-default}', () => {
  const devices = file('devices-env.yaml', 'devices:\n  - id: a\n    host: ${SNMP_HOST:-127.0.0.1}\n    port: ${SNMP_PORT:-161}\n    snmp: {version: 2c, community: "${COMMUNITY}"}\n');
  const cfg = file('env.yaml', `devicesFile: ${devices}\nkafka:\n  brokers: [a:1]\n`);
  const loaded = loadConfig(cfg, { NETMON_KAFKA_BROKERS: '127.0.0.1:19092, 127.0.0.2:19092', NETMON_INFLUX_URL: 'http://127.0.0.1:18086', SNMP_PORT: '11161', COMMUNITY: 'xyz' });
  assert.deepEqual(loaded.config.kafka.brokers, ['127.0.0.1:19092', '127.0.0.2:19092']);
  assert.equal(loaded.config.influx.url, 'http://127.0.0.1:18086');
  assert.equal(loaded.devices[0].host, '127.0.0.1');
  assert.equal(loaded.devices[0].port, 11161);
  const snmp = loaded.devices[0].snmp;
  assert.equal(snmp.version === '2c' ? snmp.community.reveal() : '', 'xyz');
  assert.throws(() => loadConfig(cfg, {}), /COMMUNITY is not set and has no default/);
});

test('secrets never appear in printed or logged config', () => {
  const devices = file('devices-secret.yaml', 'devices:\n  - {id: a, host: h, snmp: {version: "3", username: u, authProtocol: sha256, authKey: topsecretauth, privProtocol: aes, privKey: topsecretpriv}}\n  - {id: b, host: h, snmp: {version: 2c, community: hushhush}}\n');
  const loaded = loadConfig(file('secret.yaml', `devicesFile: ${devices}\ninflux:\n  password: dbpass123\n`), {});
  const printed = [JSON.stringify(loaded), inspect(loaded, { depth: 10 }), `${String(loaded.devices[1].snmp.version === '2c' ? loaded.devices[1].snmp.community : '')}`].join('\n');
  for (const s of ['topsecretauth', 'topsecretpriv', 'hushhush', 'dbpass123']) assert.ok(!printed.includes(s), `${s} leaked`);
  assert.ok(printed.includes('<secret>'));
});
