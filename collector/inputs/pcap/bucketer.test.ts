import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTrafficDelta, encodeTrafficDelta, type TrafficDeltaInput } from '../../../common/contracts/traffic-delta.js';
import { classify, createBucketer, type CapturedPacket } from './bucketer.js';
import { createNetMatcher, parseCidr } from './cidr.js';
import { arpFrame, ethernet, ipv4, ipv6 } from './pcap.fixture.js';

const nets = (...cidrs: string[]) => createNetMatcher(cidrs.map(parseCidr));
const pkt = (tsMs: number, origLen: number, bytes: Uint8Array = ethernet(ipv4('10.0.0.1', '192.0.2.1')), linkType = 1): CapturedPacket => ({ tsMs, origLen, linkType, bytes });

test('classify: the direction rule', () => {
  const local = nets('10.0.0.0/8', 'fd00::/8');
  const cases: Array<{ name: string; local: ReturnType<typeof nets>; frame: Uint8Array; linkType?: number; direction: 'in' | 'out'; decided: boolean }> = [
    { name: 'src local, dst not: out', local, frame: ethernet(ipv4('10.1.1.1', '8.8.8.8')), direction: 'out', decided: true },
    { name: 'dst local, src not: in', local, frame: ethernet(ipv4('8.8.8.8', '10.1.1.1')), direction: 'in', decided: true },
    { name: 'both local: out (counted once)', local, frame: ethernet(ipv4('10.1.1.1', '10.2.2.2')), direction: 'out', decided: true },
    { name: 'neither local: in', local, frame: ethernet(ipv4('192.0.2.1', '198.51.100.1')), direction: 'in', decided: true },
    { name: 'v6 src local: out', local, frame: ethernet(ipv6('fd00::1', '2001:db8::1')), direction: 'out', decided: true },
    { name: 'v6 dst local: in', local, frame: ethernet(ipv6('2001:db8::1', 'fd00::1')), direction: 'in', decided: true },
    { name: 'raw IP src local: out', local, frame: ipv4('10.0.0.1', '1.1.1.1'), linkType: 101, direction: 'out', decided: true },
    { name: 'non-IP: in, undecidable', local, frame: arpFrame(), direction: 'in', decided: false },
    { name: 'unknown link type: in, undecidable', local, frame: ipv4('10.0.0.1', '1.1.1.1'), linkType: 147, direction: 'in', decided: false },
    { name: 'no local networks: in, undecidable', local: nets(), frame: ethernet(ipv4('10.1.1.1', '8.8.8.8')), direction: 'in', decided: false },
  ];
  for (const c of cases) assert.deepEqual(classify(c.local, c.linkType ?? 1, c.frame), { direction: c.direction, decided: c.decided }, c.name);
});

function run(packets: CapturedPacket[], opts: { local?: ReturnType<typeof nets>; hold?: number } = {}) {
  const b = createBucketer({ deviceId: 'dev1', ifIndex: 1, ifName: 'pcap', localNets: opts.local ?? nets('10.0.0.0/8'), holdSeconds: opts.hold });
  const steps = packets.map((p) => b.add(p));
  const rest = b.finish();
  return { steps, rest, all: [...steps.flat(), ...rest], stats: b.stats(), b };
}

const brief = (r: TrafficDeltaInput) => [r.start, r.end, Number(r.inOctets), Number(r.outOctets), Number(r.inPackets), Number(r.outPackets), r.final];

test('bucketing at second boundaries: [floor(ts), +1 s), octets from orig_len', () => {
  const out = ethernet(ipv4('10.0.0.1', '192.0.2.1'));
  const inn = ethernet(ipv4('192.0.2.1', '10.0.0.1'));
  const { all, stats } = run([
    pkt(1_700_000_000_000, 100, out),
    pkt(1_700_000_000_999, 200, inn),
    pkt(1_700_000_001_000, 300, out),
    pkt(1_700_000_001_999, 1514, inn),
    pkt(1_700_000_002_000, 60, out),
  ]);
  assert.deepEqual(all.map(brief), [
    [1_700_000_000_000, 1_700_000_001_000, 200, 100, 1, 1, false],
    [1_700_000_001_000, 1_700_000_002_000, 1514, 300, 1, 1, false],
    [1_700_000_002_000, 1_700_000_003_000, 0, 60, 0, 1, true],
  ]);
  assert.equal(stats.packets, 5);
  assert.equal(stats.inOctets, 1714n);
  assert.equal(stats.outOctets, 460n);
  assert.equal(stats.inPackets + stats.outPackets, 5n);
  assert.equal(stats.records, 3);
  assert.equal(stats.firstTsMs, 1_700_000_000_000);
  assert.equal(stats.lastTsMs, 1_700_000_002_000);
  assert.equal(stats.outOfOrder, 0);
});

test('orig_len, not the captured length, is counted', () => {
  const cut = ethernet(ipv4('10.0.0.1', '192.0.2.1')).subarray(0, 40);
  const { all } = run([pkt(5000, 9000, cut)]);
  assert.equal(all[0].outOctets, 9000n);
});

test('release: a bucket leaves once a packet holdSeconds later arrives; final rides on the last record', () => {
  const { steps, rest } = run([pkt(10_000, 1), pkt(10_500, 1), pkt(11_000, 1), pkt(12_000, 1), pkt(12_100, 1), pkt(15_000, 1)], { hold: 2 });
  assert.deepEqual(steps.map((s) => s.map((r) => r.start)), [[], [], [], [10_000], [], [11_000, 12_000]]);
  assert.deepEqual(rest.map((r) => [r.start, r.final]), [[15_000, true]]);
});

test('out-of-order packets: within the hold they join their bucket; later ones make one more record for their second', () => {
  const { all, stats } = run([pkt(20_000, 10), pkt(21_500, 10), pkt(20_900, 10), pkt(23_000, 10), pkt(20_100, 10), pkt(23_500, 10)], { hold: 2 });
  assert.deepEqual(all.map((r) => [r.start, Number(r.outOctets), r.final]), [
    [20_000, 20, false],
    [21_000, 10, false],
    [20_000, 10, false],
    [23_000, 20, true],
  ]);
  assert.equal(stats.outOfOrder, 2);
  assert.equal(stats.outOctets, 60n, 'nothing lost, nothing counted twice');
  assert.equal(stats.firstTsMs, 20_000);
  assert.equal(stats.lastTsMs, 23_500);
});

test('final: exactly one, on the last record; none without packets; finish twice; add after finish throws', () => {
  const { all, b } = run([pkt(1000, 1), pkt(9000, 1), pkt(30_000, 1)]);
  assert.deepEqual(all.map((r) => r.final), [false, false, true]);
  assert.deepEqual(b.finish(), []);
  assert.throws(() => b.add(pkt(40_000, 1)), /after finish/);
  assert.deepEqual(run([]).all, []);
});

test('non-IP and no-local-networks packets are counted as in', () => {
  const { all, stats } = run([pkt(0, 42, arpFrame()), pkt(1, 100)], { local: nets() });
  assert.deepEqual(all.map(brief), [[0, 1000, 142, 0, 2, 0, true]]);
  assert.equal(stats.undecidable, 2);
});

test('records are valid TrafficDeltas on the wire', () => {
  const { all } = run([pkt(1_795_000_000_123, 1514), pkt(1_795_000_001_000, 60, ethernet(ipv4('8.8.8.8', '10.0.0.1')))]);
  for (const r of all) {
    const back = decodeTrafficDelta(encodeTrafficDelta(r));
    assert.equal(back.kind, 'traffic-delta');
    assert.equal(back.source, 'pcap');
    assert.equal(back.deviceId, 'dev1');
    assert.equal(back.ifIndex, 1);
    assert.equal(back.ifName, 'pcap');
    assert.equal(back.end - back.start, 1000);
    assert.equal(back.inOctets, r.inOctets);
    assert.equal(back.outOctets, r.outOctets);
    assert.equal(back.final, r.final);
  }
});

test('options are validated', () => {
  assert.throws(() => createBucketer({ deviceId: 'd', ifIndex: 0, ifName: 'x', localNets: nets() }), /ifIndex must be an integer >= 1/);
  assert.throws(() => createBucketer({ deviceId: 'd', ifIndex: 1, ifName: 'x', localNets: nets(), holdSeconds: 0 }), /holdSeconds/);
  const b = createBucketer({ deviceId: 'd', ifIndex: 1, ifName: 'x', localNets: nets() });
  assert.throws(() => b.add(pkt(-1, 1)), /timestamp out of range/);
});
