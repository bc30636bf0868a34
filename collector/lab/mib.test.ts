import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLUMNS, SYS_UPTIME } from '../../common/snmp/if-mib.js';
import { createDeviceModel } from './device.js';
import { ERROR_STATUS, PDU, TAG, VERSION, answer, buildShape, nextPosition, type Request } from './mib.js';

const dev = (hc = true) => createDeviceModel({ index: 0, id: 'lab-0000', ports: 48, hc, nearWrap: false, seed: 1, daySeconds: 3600 });
const full = buildShape(48, true);
const old = buildShape(48, false);
const req = (type: number, oids: string[], o: Partial<Request> = {}): Request => ({ version: VERSION.v2c, type, oids, nonRepeaters: 0, maxRepetitions: 0, ...o });

function compare(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return pa.length - pb.length;
}

test('instances are in strictly increasing OID order; a 32-bit device has no ifXTable', () => {
  for (const shape of [full, old]) {
    for (let i = 1; i < shape.size; i++) assert.ok(compare(shape.oids[i - 1], shape.oids[i]) < 0, `${shape.oids[i - 1]} < ${shape.oids[i]}`);
  }
  assert.ok(full.position.has(`${COLUMNS.ifHCInOctets}.48`));
  assert.ok(full.position.has(`${COLUMNS.ifName}.1`));
  assert.ok(!old.oids.some((o) => o.startsWith('1.3.6.1.2.1.31.')));
  assert.ok(old.position.has(`${COLUMNS.ifInOctets}.48`));
  assert.equal(nextPosition(full, '1.3.6.1.2.1.2.2.1.10'), full.position.get(`${COLUMNS.ifInOctets}.1`));
  assert.equal(nextPosition(full, '0.0'), 0);
  assert.equal(nextPosition(full, '2'), full.size);
});

test('GET: values, noSuchInstance / noSuchObject in v2c, noSuchName in v1 (also for Counter64)', () => {
  const d = dev();
  const r = answer(full, d, 12_340, req(PDU.Get, [`${SYS_UPTIME}.0`, `${COLUMNS.ifName}.3`, `${COLUMNS.ifHighSpeed}.48`, `${COLUMNS.ifName}.49`, '1.3.6.1.4.1.9.9.9.0']));
  assert.equal(r.errorStatus, 0);
  assert.deepEqual(r.varbinds.map((v) => [v.type, v.value]), [
    [TAG.TimeTicks, 1234],
    [TAG.OctetString, 'ge-0/0/2'],
    [TAG.Gauge32, 10000],
    [TAG.NoSuchInstance, null],
    [TAG.NoSuchObject, null],
  ]);
  const v1 = answer(full, d, 0, req(PDU.Get, [`${SYS_UPTIME}.0`, `${COLUMNS.ifHCInOctets}.1`], { version: VERSION.v1 }));
  assert.equal(v1.errorStatus, ERROR_STATUS.noSuchName);
  assert.equal(v1.errorIndex, 2);
  assert.deepEqual(v1.varbinds.map((v) => v.oid), [`${SYS_UPTIME}.0`, `${COLUMNS.ifHCInOctets}.1`]);
});

test('GETNEXT: from a column to its first row; v1 skips Counter64 columns; past the end', () => {
  const d = dev();
  const r = answer(full, d, 0, req(PDU.GetNext, [COLUMNS.ifHCInOctets, SYS_UPTIME, `${COLUMNS.ifDescr}.48`]));
  assert.deepEqual(r.varbinds.map((v) => [v.oid, v.type]), [
    [`${COLUMNS.ifHCInOctets}.1`, TAG.Counter64],
    [`${SYS_UPTIME}.0`, TAG.TimeTicks],
    [`${COLUMNS.ifType}.1`, TAG.Integer],
  ]);
  // SNMPv1 cannot carry Counter64 (RFC 3584): the walk of an HC column leaves the column at once.
  const ifOutBroadcastPkts48 = '1.3.6.1.2.1.31.1.1.1.5.48';
  const ifLinkUpDownTrapEnable1 = '1.3.6.1.2.1.31.1.1.1.14.1';
  const v1 = answer(full, d, 0, req(PDU.GetNext, [COLUMNS.ifHCInOctets, ifOutBroadcastPkts48], { version: VERSION.v1 }));
  assert.deepEqual(v1.varbinds.map((v) => v.oid), [ifLinkUpDownTrapEnable1, ifLinkUpDownTrapEnable1]);
  const last = full.oids[full.size - 1];
  assert.deepEqual(answer(full, d, 0, req(PDU.GetNext, [last])).varbinds, [{ oid: last, type: TAG.EndOfMibView, value: null }]);
  const v1End = answer(full, d, 0, req(PDU.GetNext, [SYS_UPTIME, last], { version: VERSION.v1 }));
  assert.equal(v1End.errorStatus, ERROR_STATUS.noSuchName);
  assert.equal(v1End.errorIndex, 2);
});

test('GETBULK: max-repetitions per repeater (RFC 3416), non-repeaters first, cut at the varbind limit', () => {
  const d = dev();
  const cols = [COLUMNS.ifName, COLUMNS.ifHCInOctets, COLUMNS.ifHCOutOctets];
  const r = answer(full, d, 5_000, req(PDU.GetBulk, [SYS_UPTIME, ...cols], { nonRepeaters: 1, maxRepetitions: 20 }));
  assert.equal(r.varbinds.length, 1 + 3 * 20);
  assert.equal(r.varbinds[0].oid, `${SYS_UPTIME}.0`);
  for (let rep = 0; rep < 20; rep++) {
    cols.forEach((c, j) => assert.equal(r.varbinds[1 + rep * 3 + j].oid, `${c}.${rep + 1}`));
  }
  const capped = answer(full, d, 5_000, req(PDU.GetBulk, cols, { maxRepetitions: 1000 }), { maxVarbinds: 100 });
  assert.equal(capped.varbinds.length, 100);
  // Near the end: the columns run into the next objects, and past the last object into endOfMibView.
  const last = full.oids[full.size - 1];
  const end = answer(full, d, 0, req(PDU.GetBulk, [full.oids[full.size - 2], last], { maxRepetitions: 5 }));
  assert.deepEqual(end.varbinds.map((v) => [v.oid, v.type]), [
    [last, TAG.Integer],
    [last, TAG.EndOfMibView],
    [last, TAG.EndOfMibView],
    [last, TAG.EndOfMibView],
  ]);
  assert.equal(answer(full, d, 0, req(PDU.GetBulk, cols, { version: VERSION.v1, maxRepetitions: 5 })).errorStatus, ERROR_STATUS.genErr);
});

test('a 32-bit device answers the HC columns with the next objects, and SET is refused', () => {
  const d = dev(false);
  const r = answer(old, d, 0, req(PDU.GetBulk, [COLUMNS.ifName, COLUMNS.ifHCInOctets], { maxRepetitions: 2 }));
  assert.ok(r.varbinds.every((v) => !v.oid.startsWith('1.3.6.1.2.1.31.')), 'no ifXTable');
  const set = answer(full, dev(), 0, req(PDU.Set, [`${COLUMNS.ifAlias}.1`]));
  assert.equal(set.errorStatus, ERROR_STATUS.notWritable);
  assert.equal(answer(full, dev(), 0, req(PDU.Set, [`${COLUMNS.ifAlias}.1`], { version: VERSION.v1 })).errorStatus, ERROR_STATUS.noSuchName);
});
