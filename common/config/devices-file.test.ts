// Tests of the editable device list file: errors with path and line, edits that keep comments and
// ${ENV} references, and the atomic write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { deviceSchema } from './schema.js';
import { parseDevicesText, removeDeviceIn, setDeviceIn, writeFileAtomic } from './devices-file.js';

const TEXT = `# Lab devices
devices:
  # the core router
  - id: r1
    host: 10.0.0.1
    snmp:
      version: "2c"
      community: \${LAB_COMMUNITY}   # from the environment
  - id: r2
    host: 10.0.0.2
    snmp: { version: "2c", community: plain }
`;
const env = { LAB_COMMUNITY: 'from-env' };

void test('parseDevicesText interpolates ${ENV} and validates with the config schema', () => {
  const { devices } = parseDevicesText(TEXT, 'devices.yaml', env);
  assert.deepEqual(devices.map((d) => d.id), ['r1', 'r2']);
  assert.equal(devices[0].snmp.version === '2c' && devices[0].snmp.community.reveal(), 'from-env');
});

void test('parseDevicesText: a broken file is a ConfigError with the file, line and field', () => {
  const cases: { name: string; text: string; path: RegExp; message: RegExp }[] = [
    { name: 'bad host', text: TEXT.replace('host: 10.0.0.2', 'host: "bad host"'), path: /^d\.yaml:10: devices\[1\]\.host$/, message: /hostname/ },
    { name: 'unknown key', text: TEXT.replace('    host: 10.0.0.1\n', '    host: 10.0.0.1\n    colour: red\n'), path: /^d\.yaml:6: devices\[0\]\.colour$/, message: /unknown key "colour"/ },
    { name: 'duplicate id', text: TEXT.replace('id: r2', 'id: r1'), path: /^d\.yaml:9: devices\[1\]\.id$/, message: /duplicate device id/ },
    { name: 'YAML syntax', text: 'devices:\n  - id: [a\n', path: /^d\.yaml:\d+$/, message: /not valid YAML/ },
    { name: 'missing env', text: TEXT, path: /devices\[0\]\.snmp\.community/, message: /LAB_COMMUNITY is not set/ },
  ];
  for (const c of cases) {
    assert.throws(
      () => parseDevicesText(c.text, 'd.yaml', c.name === 'missing env' ? {} : env),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, c.name);
        assert.match(err.path, c.path, `${c.name}: ${err.path}`);
        assert.match(err.message, c.message, c.name);
        return true;
      },
    );
  }
});

void test('setDeviceIn changes only what changed: comments and an unchanged ${ENV} secret stay', () => {
  const parsed = parseDevicesText(TEXT, 'devices.yaml', env);
  const doc = parsed.doc.clone();
  const r1 = parsed.devices[0];
  setDeviceIn(doc, { ...r1, host: '10.9.9.9', tags: ['core'] }, r1);
  setDeviceIn(doc, deviceSchema.parse({ id: 'r3', host: 'new.example', snmp: { version: '2c', community: 'c3' } }), undefined);
  assert.equal(removeDeviceIn(doc, 'r2'), true);
  assert.equal(removeDeviceIn(doc, 'nope'), false);
  const out = doc.toString();
  assert.match(out, /^# Lab devices/);
  assert.match(out, /# the core router/);
  assert.match(out, /community: \$\{LAB_COMMUNITY\} +# from the environment/);
  assert.match(out, /host: 10\.9\.9\.9/);
  assert.doesNotMatch(out, /id: r2/);
  // A new entry is written compactly (defaults left out) with its secret.
  assert.match(out, /- id: r3\n\s+host: new\.example\n\s+snmp:\n\s+version: "?2c"?\n\s+community: c3/);
  assert.doesNotMatch(out, /port: 161/);
  const again = parseDevicesText(out, 'devices.yaml', env);
  assert.deepEqual(again.devices.map((d) => [d.id, d.host, d.tags]), [['r1', '10.9.9.9', ['core']], ['r3', 'new.example', []]]);
  // Changing the secret replaces the reference with the new value.
  const d2 = again.doc.clone();
  setDeviceIn(d2, deviceSchema.parse({ id: 'r1', host: '10.9.9.9', tags: ['core'], snmp: { version: '2c', community: 'rotated' } }), again.devices[0]);
  assert.match(d2.toString(), /community: rotated/);
});

void test('writeFileAtomic replaces the file whole, keeps its mode, leaves no temp file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-devfile-'));
  const file = join(dir, 'devices.yaml');
  await writeFileAtomic(file, 'devices: []\n');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  writeFileSync(file, 'old\n');
  chmodSync(file, 0o640);
  await writeFileAtomic(file, 'devices: []\n# v2\n');
  assert.equal(readFileSync(file, 'utf8'), 'devices: []\n# v2\n');
  assert.equal(statSync(file).mode & 0o777, 0o640);
  assert.deepEqual(readdirSync(dir), ['devices.yaml']);
});

void test('setDeviceIn stores API values literally: ${VAR} written by a client is never interpolated', () => {
  const secrets = { ...env, NETMON_ADMIN_PASSWORD: 'hunter2' };
  const parsed = parseDevicesText(TEXT, 'devices.yaml', secrets);
  const doc = parsed.doc.clone();
  const added = deviceSchema.parse({ id: 'r3', host: '10.0.0.3', tags: ['${NETMON_ADMIN_PASSWORD}', 'cost$$'], snmp: { version: '2c', community: '${LAB_COMMUNITY}' } });
  setDeviceIn(doc, added, undefined);
  // A changed key of an existing entry, too; the untouched community stays a reference.
  const r1 = parsed.devices[0];
  setDeviceIn(doc, { ...r1, tags: ['${NETMON_ADMIN_PASSWORD}'] }, r1);
  const again = parseDevicesText(doc.toString(), 'devices.yaml', secrets);
  const r3 = again.devices.find((d) => d.id === 'r3')!;
  assert.deepEqual(r3.tags, ['${NETMON_ADMIN_PASSWORD}', 'cost$$']);
  assert.equal(r3.snmp.version === '2c' && r3.snmp.community.reveal(), '${LAB_COMMUNITY}');
  assert.deepEqual(again.devices[0].tags, ['${NETMON_ADMIN_PASSWORD}']);
  assert.equal(again.devices[0].snmp.version === '2c' && again.devices[0].snmp.community.reveal(), 'from-env');
  assert.match(doc.toString(), /community: \$\{LAB_COMMUNITY\} +# from the environment/);
});

void test('setDeviceIn: a file holding `devices: []` grows a block list, read back the same', () => {
  const doc = parseDevicesText('# empty to begin with\ndevices: []\n', 'devices.yaml', env).doc.clone();
  setDeviceIn(doc, deviceSchema.parse({ id: 'edge, rack 4', host: '10.0.0.4', snmp: { version: '2c', community: 'c4' } }), undefined);
  const out = doc.toString();
  assert.match(out, /^# empty to begin with\ndevices:\n {2}- id: edge, rack 4\n {4}host: 10\.0\.0\.4\n/);
  assert.deepEqual(parseDevicesText(out, 'devices.yaml', env).devices.map((d) => d.id), ['edge, rack 4']);
});
