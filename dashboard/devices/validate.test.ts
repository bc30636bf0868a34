// Tests of the pure device-admin logic: validation naming the field, write-only secrets, merge
// patches, and the file-vs-topic diff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceSchema } from '../../common/config/schema.js';
import { InputError } from '../../common/errors.js';
import { diffDevices, mergePatch, patchBase, redactDevice, SECRET_SET, validateDevice } from './validate.js';

const v2 = deviceSchema.parse({ id: 'r1', host: '10.0.0.1', snmp: { version: '2c', community: 'c0mm-s3cret' } });
const v3 = deviceSchema.parse({ id: 'sw2', host: 'sw2.example', snmp: { version: '3', username: 'u1', authProtocol: 'sha', authKey: 'auth-s3cret', privProtocol: 'aes', privKey: 'priv-s3cret' } });

void test('validateDevice: bad input is an InputError naming the field path', () => {
  const cases: { name: string; input: unknown; field: string; message: RegExp }[] = [
    { name: 'not an object', input: [1], field: '', message: /must be an object/ },
    { name: 'bad host', input: { id: 'a', host: 'bad host!', snmp: { version: '2c', community: 'x' } }, field: 'host', message: /hostname or an IP/ },
    { name: 'port out of range', input: { id: 'a', host: 'h', port: 70000, snmp: { version: '2c', community: 'x' } }, field: 'port', message: /65535/ },
    { name: 'id with a newline', input: { id: 'a\nb', host: 'h', snmp: { version: '2c', community: 'x' } }, field: 'id', message: /control character \(C0\), U\+000A, at character 2/ },
    { name: 'id too long', input: { id: 'x'.repeat(129), host: 'h', snmp: { version: '2c', community: 'x' } }, field: 'id', message: /at most 128/ },
    { name: 'unknown key', input: { id: 'a', host: 'h', colour: 'red', snmp: { version: '2c', community: 'x' } }, field: 'colour', message: /unknown key "colour"/ },
    { name: 'unknown snmp key', input: { id: 'a', host: 'h', snmp: { version: '2c', community: 'x', extra: 1 } }, field: 'snmp.extra', message: /unknown key/ },
    { name: 'missing community', input: { id: 'a', host: 'h', snmp: { version: '2c' } }, field: 'snmp.community', message: /./ },
    { name: 'v3 authPriv without privKey', input: { id: 'a', host: 'h', snmp: { version: '3', username: 'u', authProtocol: 'sha', authKey: 'k', privProtocol: 'aes' } }, field: 'snmp.privKey', message: /required for level authPriv/ },
    { name: 'bad version', input: { id: 'a', host: 'h', snmp: { version: '4' } }, field: 'snmp.version', message: /version must be one of/ },
    { name: '(set) on a new device', input: { id: 'a', host: 'h', snmp: { version: '2c', community: SECRET_SET } }, field: 'snmp.community', message: /no stored value/ },
  ];
  for (const c of cases) {
    assert.throws(
      () => validateDevice(c.input),
      (err: unknown) => {
        assert.ok(err instanceof InputError, c.name);
        assert.equal(err.field, c.field, c.name);
        assert.match(err.message, c.message, c.name);
        return true;
      },
      c.name,
    );
  }
});

void test('validateDevice: an update that omits a secret or sends "(set)" keeps the stored one', () => {
  const kept = validateDevice({ id: 'r1', host: '10.0.0.2', snmp: { version: '2c' } }, v2);
  assert.equal(kept.host, '10.0.0.2');
  assert.equal(kept.snmp.version === '2c' && kept.snmp.community.reveal(), 'c0mm-s3cret');
  const placeholder = validateDevice({ ...redactDevice(v3), host: 'sw3.example' }, v3);
  assert.ok(placeholder.snmp.version === '3');
  assert.equal(placeholder.snmp.version === '3' && placeholder.snmp.authKey?.reveal(), 'auth-s3cret');
  assert.equal(placeholder.snmp.version === '3' && placeholder.snmp.privKey?.reveal(), 'priv-s3cret');
  const changed = validateDevice({ id: 'r1', host: 'h', snmp: { version: '2c', community: 'new' } }, v2);
  assert.equal(changed.snmp.version === '2c' && changed.snmp.community.reveal(), 'new');
  // Another v3 user does not inherit the old user's keys.
  assert.throws(() => validateDevice({ id: 'sw2', host: 'h', snmp: { version: '3', username: 'other', authProtocol: 'sha', privProtocol: 'aes' } }, v3), /snmp.authKey/);
});

void test('redactDevice shows "(set)" for every secret and keeps the rest', () => {
  for (const d of [v2, v3]) {
    const text = JSON.stringify(redactDevice(d));
    assert.doesNotMatch(text, /s3cret/);
    assert.match(text, /"\(set\)"/);
    assert.match(text, new RegExp(d.host.replace(/\./g, '\\.')));
  }
});

void test('mergePatch: objects merge, arrays replace, null removes', () => {
  assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { b: { c: 9, d: null }, e: [3], f: 'x' }), { a: 1, b: { c: 9 }, e: [3], f: 'x' });
  const patched = validateDevice(mergePatch(patchBase(v3), { enabled: false, snmp: { level: 'authPriv' } }), v3);
  assert.equal(patched.enabled, false);
  assert.equal(patched.snmp.version === '3' && patched.snmp.privKey?.reveal(), 'priv-s3cret');
  assert.doesNotMatch(JSON.stringify(patchBase(v3)), /s3cret|\(set\)/);
});

void test('diffDevices: publishes what differs, tombstones what is gone, nothing when equal', () => {
  const topic = new Map([
    ['r1', v2],
    ['gone', deviceSchema.parse({ id: 'gone', host: 'h', snmp: { version: '2c', community: 'x' } })],
  ]);
  const changedV2 = deviceSchema.parse({ id: 'r1', host: '10.0.0.1', snmp: { version: '2c', community: 'rotated' } });
  const diff = diffDevices(topic, [changedV2, v3]);
  assert.deepEqual(
    diff.map((c) => [c.id, c.device ? 'set' : 'delete']),
    [
      ['r1', 'set'],
      ['sw2', 'set'],
      ['gone', 'delete'],
    ],
  );
  assert.deepEqual(diffDevices(new Map([['r1', v2]]), [deviceSchema.parse({ id: 'r1', host: '10.0.0.1', snmp: { version: '2c', community: 'c0mm-s3cret' } })]), []);
});
