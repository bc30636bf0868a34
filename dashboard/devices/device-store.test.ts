// Tests of the device store with a real temp file and a recording fake topic: start-up sync, API
// changes landing in the file and on the topic, hand edits (good and broken), a failed publish
// retried with the next change, and bulk import. Shared mode (dashboard.shared): the topic wins at
// start, other instances' records reach the file, and a record behind an own one does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceSchema } from '../../common/config/schema.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { ConflictError, ErrorCodes, FileBrokenError, InputError, NetmonError, NotFoundError, PublishPendingError } from '../../common/errors.js';
import { createDeviceStore } from './device-store.js';
import { createFakeConfigTopic } from './config-topic.fixture.js';
import { parseImport } from './import.js';

const FILE = `# my devices\ndevices:\n  - id: r1 # core\n    host: 10.0.0.1\n    snmp: { version: "2c", community: one }\n`;

function setup(text: string | null, topicDevices = [] as Parameters<typeof createFakeConfigTopic>[0], env: Record<string, string> = {}, shared = false, tombstones: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-store-'));
  const file = join(dir, 'devices.yaml');
  if (text !== null) writeFileSync(file, text);
  const topic = createFakeConfigTopic(topicDevices, tombstones);
  const store = createDeviceStore(silentLogger, { file, debounceMs: 20, env, shared }, { topic, clock: { now: () => 1_700_000_000_000 }, registry: createRegistry({ defaultMetrics: false }) });
  return { file, topic, store };
}

void test('start brings the topic in line with the file: publish what differs, tombstone what is gone', async (t) => {
  const stale = deviceSchema.parse({ id: 'old', host: 'h', snmp: { version: '2c', community: 'x' } });
  const { store, topic } = setup(FILE, [stale]);
  await store.start();
  t.after(() => store.stop());
  assert.deepEqual(topic.published.map((b) => b.map((c) => [c.id, c.device ? 'set' : 'delete'])), [[['r1', 'set'], ['old', 'delete']]]);
  assert.deepEqual([...topic.held.keys()], ['r1']);
});

void test('API changes are validated, written to the file (comments kept) and published', async (t) => {
  const { store, topic, file } = setup(FILE);
  await store.start();
  t.after(() => store.stop());
  topic.published.length = 0;

  await store.create({ id: 'sw2', host: 'sw2.example', snmp: { version: '2c', community: 'two' } });
  await assert.rejects(store.create({ id: 'sw2', host: 'x', snmp: { version: '2c', community: 'two' } }), (e: unknown) => e instanceof ConflictError && e.message === 'a device with id "sw2" already exists');
  await assert.rejects(store.create({ id: 'sw3', host: 'bad host', snmp: { version: '2c', community: 'two' } }), (e: unknown) => e instanceof InputError && e.field === 'host');
  await store.patch('r1', { host: '10.0.0.9' });
  await store.setEnabled('sw2', false);
  await assert.rejects(store.replace('nope', {}), (e: unknown) => e instanceof NotFoundError && e.message === 'no device with id "nope"');
  await store.remove('r1');

  const text = readFileSync(file, 'utf8');
  assert.match(text, /^# my devices/);
  assert.match(text, /id: sw2/);
  assert.match(text, /enabled: false/);
  assert.doesNotMatch(text, /id: r1/);
  assert.deepEqual(
    topic.published.map((b) => b.map((c) => [c.id, c.device ? `${c.device.host}/${c.device.enabled}` : null])),
    [[['sw2', 'sw2.example/true']], [['r1', '10.0.0.9/true']], [['sw2', 'sw2.example/false']], [['r1', null]]],
  );
  // The comment on r1 survived the patch until r1 was removed.
  assert.deepEqual(store.list().map((d) => d.id), ['sw2']);
});

void test('a failed publish keeps the file change and goes out with the next change', async (t) => {
  const { store, topic, file } = setup(FILE);
  await store.start();
  t.after(() => store.stop());
  topic.failNext = new Error('broker down');
  await assert.rejects(store.create({ id: 'a', host: 'h', snmp: { version: '2c', community: 'x' } }), (e: unknown) => e instanceof PublishPendingError && /^saved to the devices file, but netmon\.config could not be written \(broker down\)/.test(e.message));
  assert.match(readFileSync(file, 'utf8'), /id: a/);
  assert.equal(topic.held.has('a'), false);
  await store.create({ id: 'b', host: 'h', snmp: { version: '2c', community: 'x' } });
  assert.deepEqual([...topic.held.keys()].sort(), ['a', 'b', 'r1']);
});

void test('hand edits: a good one is picked up and published; a broken one is reported with its line and changes nothing', async (t) => {
  const { store, topic, file } = setup(FILE);
  await store.start();
  t.after(() => store.stop());
  writeFileSync(file, `${FILE}  - id: r2\n    host: 10.0.0.2\n    snmp: { version: "2c", community: two }\n`);
  await store.reload();
  assert.deepEqual(store.list().map((d) => d.id), ['r1', 'r2']);
  assert.equal(topic.held.has('r2'), true);
  assert.equal(store.fileProblem(), null);

  writeFileSync(file, `${FILE}  - id: r3\n    host: "not a host"\n    snmp: { version: "2c", community: x }\n`);
  await store.reload();
  assert.deepEqual(store.list().map((d) => d.id), ['r1', 'r2']);
  assert.match(store.fileProblem()?.message ?? '', /devices\.yaml:7: devices\[1\]\.host/);
  assert.equal(topic.held.has('r3'), false);
});

void test('an API change never overwrites a hand edit: a fresh one is merged, a broken one blocks writes until fixed', async (t) => {
  const { store, topic, file } = setup(FILE);
  await store.start();
  t.after(() => store.stop());
  // Written by hand just now (before the watcher's debounce): the API change re-reads the file first.
  writeFileSync(file, FILE.replace('# my devices', '# my devices, edited'));
  await store.create({ id: 'api1', host: 'h', snmp: { version: '2c', community: 'x' } });
  const text = readFileSync(file, 'utf8');
  assert.match(text, /# my devices, edited/);
  assert.match(text, /id: api1/);

  const broken = `${text}  - id: [oops\n`;
  writeFileSync(file, broken);
  await assert.rejects(store.create({ id: 'api2', host: 'h', snmp: { version: '2c', community: 'x' } }), (e: unknown) => e instanceof FileBrokenError && /^the devices file has a hand edit that cannot be used; .*devices\.yaml:\d+/.test(e.message));
  assert.equal(readFileSync(file, 'utf8'), broken, 'the broken hand edit is left as it is');
  assert.equal(topic.held.has('api2'), false);
  writeFileSync(file, text);
  await store.create({ id: 'api2', host: 'h', snmp: { version: '2c', community: 'x' } });
  assert.equal(store.fileProblem(), null);
  assert.deepEqual([...topic.held.keys()].sort(), ['api1', 'api2', 'r1']);
});

void test('the file watcher picks up a hand edit without a reload call', async (t) => {
  const { store, topic, file } = setup(FILE);
  await store.start();
  t.after(() => store.stop());
  writeFileSync(file, FILE.replace('10.0.0.1', '10.0.0.77'));
  const deadline = Date.now() + 5000;
  while (topic.held.get('r1')?.host !== '10.0.0.77' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  assert.equal(topic.held.get('r1')?.host, '10.0.0.77');
});

void test('a missing file starts empty and is created on the first change', async (t) => {
  const { store, file } = setup(null);
  await store.start();
  t.after(() => store.stop());
  assert.deepEqual(store.list(), []);
  await store.create({ id: 'first', host: 'h', snmp: { version: '2c', community: 'x' } });
  assert.match(readFileSync(file, 'utf8'), /netmon device list[\s\S]*id: first/);
});

void test('import applies valid rows, reports invalid ones with row, id and field', async (t) => {
  const { store, topic } = setup(FILE);
  await store.start();
  t.after(() => store.stop());
  const rows = parseImport(['id,host,version,community', 'r1,10.0.0.5,2c,', 'new1,10.1.1.1,2c,c', 'bad,bad host,2c,c', 'new1,10.1.1.2,2c,c', 'x,h,9,c'].join('\n'), 'csv');
  const report = await store.importRows(rows);
  assert.deepEqual(
    report.map((r) => [r.row, r.id, r.ok ? r.action : r.field]),
    [
      [1, 'r1', 'updated'],
      [2, 'new1', 'created'],
      [3, 'bad', 'host'],
      [4, 'new1', 'id'],
      [5, 'x', 'snmp.version'],
    ],
  );
  // r1 kept its stored community (the row left it empty).
  const r1 = store.get('r1');
  assert.equal(r1?.host, '10.0.0.5');
  assert.equal(r1?.snmp.version === '2c' && r1.snmp.community.reveal(), 'one');
  assert.equal(topic.held.has('new1'), true);
  assert.equal(topic.held.has('bad'), false);
});

void test('a change that fails for a reason nobody foresaw (the directory is gone) says it was not saved', async (t) => {
  const { store, file } = setup(null);
  await store.start();
  t.after(() => store.stop());
  rmSync(join(file, '..'), { recursive: true });
  await assert.rejects(
    store.create({ id: 'a', host: 'h', snmp: { version: '2c', community: 'x' } }),
    (e: unknown) => e instanceof NetmonError && e.code === ErrorCodes.INTERNAL && /^the change was not saved: ENOENT/.test(e.message) && (e.cause as { code?: string }).code === 'ENOENT',
  );
  assert.deepEqual(store.list(), []);
});

void test('values saved through the API are stored, listed and published literally; the file\'s own ${VAR} keeps working', async (t) => {
  const env = { NETMON_ADMIN_PASSWORD: 'hunter2', LAB_COMMUNITY: 'from-env' };
  const { store, topic, file } = setup('devices:\n  - id: r1\n    host: 10.0.0.1\n    snmp: { version: "2c", community: "${LAB_COMMUNITY}" }\n', [], env);
  await store.start();
  t.after(() => store.stop());
  await store.create({ id: 'sw2', host: 'sw2.example', tags: ['${NETMON_ADMIN_PASSWORD}'], snmp: { version: '2c', community: '${NETMON_ADMIN_PASSWORD}' } });
  await store.patch('r1', { tags: ['$${NETMON_ADMIN_PASSWORD}'] });
  // What a reader of the file (a restart, a hand edit reload) gets, too.
  await store.reload();
  const sw2 = store.get('sw2')!;
  assert.deepEqual(sw2.tags, ['${NETMON_ADMIN_PASSWORD}']);
  assert.equal(sw2.snmp.version === '2c' && sw2.snmp.community.reveal(), '${NETMON_ADMIN_PASSWORD}');
  assert.deepEqual(store.get('r1')!.tags, ['$${NETMON_ADMIN_PASSWORD}']);
  const r1 = topic.held.get('r1')!;
  assert.equal(r1.snmp.version === '2c' && r1.snmp.community.reveal(), 'from-env');
  const onTopic = topic.held.get('sw2')!;
  assert.deepEqual(onTopic.tags, ['${NETMON_ADMIN_PASSWORD}']);
  assert.equal(onTopic.snmp.version === '2c' && onTopic.snmp.community.reveal(), '${NETMON_ADMIN_PASSWORD}');
  assert.doesNotMatch(JSON.stringify([...topic.published.flat().map((c) => c.device && { ...c.device, snmp: c.device.snmp.version === '2c' ? c.device.snmp.community.reveal() : '' })]), /hunter2/);
  assert.doesNotMatch(readFileSync(file, 'utf8'), /hunter2/);
});

const dev = (id: string, host: string) => deviceSchema.parse({ id, host, snmp: { version: '2c', community: 'c' } });

void test('shared: at start the file is made to hold what the topic holds, and nothing is published', async (t) => {
  const { store, topic, file } = setup(FILE, [dev('a', '10.1.0.1'), dev('r1', '10.0.0.7')], {}, true);
  await store.start();
  t.after(() => store.stop());
  assert.deepEqual(topic.published, []);
  assert.deepEqual(store.list().map((d) => `${d.id}@${d.host}`).sort(), ['a@10.1.0.1', 'r1@10.0.0.7']);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^# my devices/);
  assert.match(text, /- id: r1 # core/, 'an entry the topic changed keeps its comment');
  assert.match(text, /host: 10\.0\.0\.7/);
  assert.match(text, /id: a\b/);
});

void test('shared: a topic without devices is seeded from the file', async (t) => {
  const { store, topic } = setup(FILE, [], {}, true);
  await store.start();
  t.after(() => store.stop());
  assert.deepEqual(topic.published.map((b) => b.map((c) => c.id)), [['r1']]);
});

void test('shared: a topic whose only device record is a tombstone is not seeded: the file that missed the deletion follows it', async (t) => {
  const { store, topic, file } = setup(FILE, [], {}, true, ['r1']);
  await store.start();
  t.after(() => store.stop());
  assert.deepEqual(topic.published, []);
  assert.deepEqual(store.list(), []);
  assert.doesNotMatch(readFileSync(file, 'utf8'), /id: r1/);
});

void test('shared: another instance\'s records reach the list and the file; one behind an own record does not', async (t) => {
  const { store, topic, file } = setup(FILE, [dev('r1', '10.0.0.1')], {}, true);
  await store.start();
  t.after(() => store.stop());
  await topic.remote('b', dev('b', '10.2.0.1'));
  assert.ok(store.get('b'));
  assert.match(readFileSync(file, 'utf8'), /id: b/);
  await topic.remote('b', null);
  assert.equal(store.get('b'), undefined);
  assert.doesNotMatch(readFileSync(file, 'utf8'), /id: b/);

  topic.holdEchoes = true;
  await store.patch('r1', { host: '10.0.0.2' });
  // Written before ours (ours is still on its way back): ours is later on the topic and wins.
  await topic.remote('r1', dev('r1', '10.0.0.3'));
  assert.equal(store.get('r1')?.host, '10.0.0.2');
  await topic.echo();
  await topic.remote('r1', dev('r1', '10.0.0.4'));
  assert.equal(store.get('r1')?.host, '10.0.0.4');
  assert.match(readFileSync(file, 'utf8'), /host: 10\.0\.0\.4/);
});
