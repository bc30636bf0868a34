import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDeviceModel, encodeCounter64, portLayout, type DeviceModel, type DeviceSpec } from './device.js';
import { COUNTER, COUNTER_KINDS, type CounterKind } from './traffic.js';

const spec = (o: Partial<DeviceSpec> = {}): DeviceSpec => ({ index: 3, id: 'lab-0003', ports: 48, hc: true, nearWrap: false, seed: 1, daySeconds: 3600, ...o });
const TWO64 = 1n << 64n;
const decode = (b: Buffer) => (b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`));
const busiest = (d: DeviceModel) => d.interfaces.reduce((a, b) => (b.traffic.in.base > a.traffic.in.base ? b : a));

test('Counter64 content octets are minimal two\'s complement', () => {
  const cases: Array<{ name: string; hi: number; lo: number; hex: string }> = [
    { name: 'zero', hi: 0, lo: 0, hex: '00' },
    { name: 'one octet', hi: 0, lo: 0x7f, hex: '7f' },
    { name: 'top bit set needs a 0x00', hi: 0, lo: 0x80, hex: '0080' },
    { name: '2^32', hi: 1, lo: 0, hex: '0100000000' },
    { name: '2^32 - 1', hi: 0, lo: 0xffffffff, hex: '00ffffffff' },
    { name: '2^64 - 1 takes 9 octets', hi: 0xffffffff, lo: 0xffffffff, hex: '00ffffffffffffffff' },
    { name: '2^63', hi: 0x80000000, lo: 0, hex: '008000000000000000' },
  ];
  for (const c of cases) assert.equal(encodeCounter64(c.hi, c.lo).toString('hex'), c.hex, c.name);
});

test('a 48-port switch: 44 x 1G access ports then 4 x 10G uplinks', () => {
  const layout = portLayout(48);
  assert.equal(layout.length, 48);
  assert.equal(layout[0].name, 'ge-0/0/0');
  assert.equal(layout[43].name, 'ge-0/0/43');
  assert.deepEqual(layout.slice(44).map((p) => [p.name, p.speedBps]), [['xe-0/1/0', 1e10], ['xe-0/1/1', 1e10], ['xe-0/1/2', 1e10], ['xe-0/1/3', 1e10]]);
  assert.deepEqual(portLayout(2).map((p) => p.name), ['ge-0/0/0', 'ge-0/0/1']);
});

test('the request path equals the ground truth, Counter32 = low 32 bits, and counters only grow', () => {
  for (const nearWrap of [false, true]) {
    const d = createDeviceModel(spec({ nearWrap }));
    const prev = new Map<string, bigint>();
    for (const tMs of [0, 1, 999, 10_000, 29_999, 45_000, 61_000, 3_600_000]) {
      for (const iface of d.interfaces) {
        const truth = d.countersAt(iface.ifIndex, tMs);
        const v = (k: CounterKind) => decode(d.counter64(iface, k, tMs));
        assert.equal(v(COUNTER.inOctets), truth.inOctets);
        assert.equal(v(COUNTER.outOctets), truth.outOctets);
        assert.equal((v(COUNTER.inUcastPkts) + v(COUNTER.inMulticastPkts) + v(COUNTER.inBroadcastPkts)) % TWO64, truth.inPackets);
        assert.equal((v(COUNTER.outUcastPkts) + v(COUNTER.outMulticastPkts) + v(COUNTER.outBroadcastPkts)) % TWO64, truth.outPackets);
        for (let k = 0; k < COUNTER_KINDS; k++) {
          const hc = v(k as CounterKind);
          assert.ok(hc < TWO64);
          assert.equal(BigInt(d.counter32(iface, k as CounterKind, tMs)), hc & 0xffffffffn, `counter ${k} at ${tMs}`);
          // Monotonic modulo 2^64: the step from the previous time is small (less than a link's worth).
          const key = `${iface.ifIndex}/${k}`;
          const before = prev.get(key);
          if (before !== undefined) assert.ok((hc - before + TWO64) % TWO64 < 10n ** 13n, `${key} stepped from ${before} to ${hc}`);
          prev.set(key, hc);
        }
        assert.equal(BigInt(d.nonUnicast32(iface, true, tMs)), (v(COUNTER.inMulticastPkts) + v(COUNTER.inBroadcastPkts)) & 0xffffffffn);
        assert.equal(d.counter32(iface, COUNTER.inErrors, tMs), Number(truth.inErrors));
      }
    }
  }
});

test('a near-wrap device starts below 2^64 and every running counter wraps within the first minute', () => {
  const d = createDeviceModel(spec({ nearWrap: true }));
  const active = d.interfaces.filter((i) => i.traffic.in.base > 0);
  assert.ok(active.length > 10);
  for (const iface of active) {
    const w = iface.wrapAtS!;
    assert.ok(w >= 10 && w <= 50, `wraps at ${w} s`);
    const start = d.countersAt(iface.ifIndex, 0).inOctets;
    // The last second before the wrap (an idle port moves less than a byte per ms, so not the last ms).
    const before = d.countersAt(iface.ifIndex, (w - 1) * 1000).inOctets;
    const after = d.countersAt(iface.ifIndex, w * 1000).inOctets;
    assert.ok(start > TWO64 - 10n ** 12n, `starts just below 2^64: ${start}`);
    assert.ok(before > after, `wraps at ${w} s: ${before} -> ${after}`);
    assert.equal(after, 0n);
    // The 32-bit view wraps too (it is the low bits of the same counter).
    assert.ok(d.counter32(iface, COUNTER.inOctets, (w - 1) * 1000) > d.counter32(iface, COUNTER.inOctets, w * 1000));
    // Across the wrap, the delta modulo 2^64 is exactly the traffic of that interval.
    const plain = createDeviceModel(spec({ nearWrap: false })).countersAt(iface.ifIndex, 60_000).inOctets - createDeviceModel(spec()).countersAt(iface.ifIndex, 5_000).inOctets;
    assert.equal((d.countersAt(iface.ifIndex, 60_000).inOctets - d.countersAt(iface.ifIndex, 5_000).inOctets + TWO64) % TWO64, plain);
  }
});

test('a reboot resets sysUpTime and every counter (and the near-wrap start); history stays answerable', () => {
  const d = createDeviceModel(spec({ nearWrap: true }));
  const iface = busiest(d);
  assert.equal(d.sysUpTime(123_456), 12_345);
  const beforeReboot = d.countersAt(iface.ifIndex, 100_000);
  d.reboot(100_000);
  assert.equal(d.reboots, 1);
  assert.equal(d.sysUpTime(100_000), 0);
  assert.equal(d.sysUpTime(100_990), 99);
  assert.equal(decode(d.counter64(iface, COUNTER.inOctets, 100_000)), 0n);
  assert.equal(d.counter32(iface, COUNTER.outUcastPkts, 100_000), 0);
  assert.equal(d.discontinuityTicks(iface), 0);
  const later = d.countersAt(iface.ifIndex, 160_000);
  assert.ok(later.inOctets > 0n && later.inOctets < 10n ** 12n, `counts from zero: ${later.inOctets}`);
  assert.equal(decode(d.counter64(iface, COUNTER.inOctets, 160_000)), later.inOctets);
  // Before the reboot, the ground truth is what it was (the previous epoch, near-wrap start and all).
  assert.deepEqual(d.countersAt(iface.ifIndex, 99_000), createDeviceModel(spec({ nearWrap: true })).countersAt(iface.ifIndex, 99_000));
  assert.ok(beforeReboot.inOctets !== 0n);
  assert.equal(d.countersAt(iface.ifIndex, 100_000).inOctets, 0n);
  assert.equal(d.sysUpTimeAt(99_990), 9_999);
  assert.throws(() => d.reboot(50_000), /before the last boot/);
  assert.throws(() => d.countersAt(iface.ifIndex, -1), /before the lab started/);
});

test('clearing one interface resets only its counters and records the discontinuity time', () => {
  const d = createDeviceModel(spec());
  const [a, b] = d.interfaces.filter((i) => i.traffic.in.base > 0);
  const bBefore = d.countersAt(b.ifIndex, 30_000).inOctets;
  d.clearCounters(30_000, a.ifIndex);
  assert.equal(d.countersAt(a.ifIndex, 30_000).inOctets, 0n);
  assert.equal(d.countersAt(a.ifIndex, 30_000).discontinuityTicks, 3000);
  assert.equal(d.discontinuityTicks(a), 3000);
  assert.equal(d.discontinuityTicks(b), 0);
  assert.equal(d.countersAt(b.ifIndex, 30_000).inOctets, bBefore);
  assert.equal(d.sysUpTime(30_000), 3000, 'no reboot');
  assert.throws(() => d.clearCounters(40_000, 49), /no interface 49/);
  assert.throws(() => d.clearCounters(40_000, -1), /no interface -1/);
});

test('devices differ, interfaces of a device differ, and a 32-bit device has the same traffic', () => {
  const a = createDeviceModel(spec({ index: 0 }));
  const b = createDeviceModel(spec({ index: 1 }));
  assert.notEqual(a.interfaces[0].traffic.in.base, b.interfaces[0].traffic.in.base);
  const classes = new Set(a.interfaces.map((i) => i.traffic.klass));
  assert.ok(classes.size >= 3, `mixed classes: ${[...classes].join(', ')}`);
  const old = createDeviceModel(spec({ index: 0, hc: false }));
  assert.deepEqual(old.countersAt(5, 60_000), a.countersAt(5, 60_000));
  assert.ok(a.interfaces.some((i) => !i.adminUp) || a.interfaces.some((i) => !i.operUp));
  assert.equal(a.engineId.length, 17);
  assert.notDeepEqual(a.engineId, b.engineId);
});

test('a saturated interface runs at the asked share of its speed for its time, then goes back; packets follow', () => {
  const d = createDeviceModel(spec());
  const iface = d.interfaces.find((i) => i.operUp && i.speedBps === 1e9)!;
  const octetsIn = (tMs: number) => d.countersAt(iface.ifIndex, tMs).inOctets;
  const normal = Number(octetsIn(60_000) - octetsIn(0)) / 60;
  d.saturate(100_000, iface.ifIndex, { seconds: 300, fraction: 0.95, direction: 'in' });
  assert.equal(d.saturatedAt(iface.ifIndex, 99_999), false);
  assert.equal(d.saturatedAt(iface.ifIndex, 100_000), true);
  // 95 % of 1 Gb/s in bytes per second, over a minute inside the saturation (floors: within a byte).
  const rate = Number(octetsIn(220_000) - octetsIn(160_000)) / 60;
  assert.ok(Math.abs(rate - 0.95 * 1e9 / 8) < 1, `in at ${rate} B/s`);
  assert.ok(rate > 2 * normal, `above its normal ${normal} B/s`);
  // Outbound untouched; inbound packets scale with the bytes; the request path still equals the truth.
  const plain = createDeviceModel(spec());
  assert.equal(d.countersAt(iface.ifIndex, 200_000).outOctets, plain.countersAt(iface.ifIndex, 200_000).outOctets);
  assert.ok(d.countersAt(iface.ifIndex, 200_000).inPackets > plain.countersAt(iface.ifIndex, 200_000).inPackets);
  assert.equal(decode(d.counter64(iface, COUNTER.inOctets, 250_000)), octetsIn(250_000));
  // After it ends the curve's own rate is back.
  assert.equal(d.saturatedAt(iface.ifIndex, 400_000), false);
  const after = octetsIn(520_000) - octetsIn(460_000) - (plain.countersAt(iface.ifIndex, 520_000).inOctets - plain.countersAt(iface.ifIndex, 460_000).inOctets);
  assert.ok(after >= -1n && after <= 1n, `the curve's rate again (floors apart: ${after})`);
  assert.throws(() => d.saturate(500_000, iface.ifIndex, { seconds: 10, fraction: 1.5, direction: 'in' }), /fraction of the link speed/);
  assert.throws(() => d.saturate(500_000, 99, { seconds: 10, fraction: 0.9, direction: 'in' }), /no interface 99/);
});

test('oper down stops an interface\'s counters and reports down; up resumes from the same count (no step)', () => {
  const d = createDeviceModel(spec());
  const iface = busiest(d);
  const truth = (tMs: number) => d.countersAt(iface.ifIndex, tMs);
  assert.equal(iface.operUp, true);
  assert.equal(d.setOperUp(50_000, iface.ifIndex, false), true);
  assert.equal(d.setOperUp(55_000, iface.ifIndex, false), false, 'already down');
  assert.equal(iface.operUp, false);
  const atDown = truth(50_000);
  assert.deepEqual(truth(110_000), atDown, 'nothing counted while down');
  assert.throws(() => d.saturate(60_000, iface.ifIndex, { seconds: 10, fraction: 0.9, direction: 'both' }), /oper-down/);
  assert.equal(d.setOperUp(110_000, iface.ifIndex, true), true);
  // Back up: counts continue from where they stopped, at the curve's rate.
  const plain = createDeviceModel(spec());
  const p = (tMs: number) => plain.countersAt(iface.ifIndex, tMs).inOctets;
  assert.equal(truth(110_000).inOctets, atDown.inOctets);
  const resumed = truth(170_000).inOctets - truth(110_000).inOctets - (p(170_000) - p(110_000));
  assert.ok(resumed >= -1n && resumed <= 1n, `the curve's rate again (floors apart: ${resumed})`);
  assert.equal(decode(d.counter64(iface, COUNTER.inOctets, 170_000)), truth(170_000).inOctets);
  // A reboot while down keeps it down (the override carries on from the new epoch's zero).
  d.setOperUp(200_000, iface.ifIndex, false);
  d.reboot(210_000);
  assert.equal(truth(260_000).inOctets, 0n);
});
