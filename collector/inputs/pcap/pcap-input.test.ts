import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTrafficDelta, type TrafficDelta } from '../../../common/contracts/traffic-delta.js';
import { silentLogger } from '../../../common/log.js';
import { createRegistry } from '../../../common/metrics.js';
import type { SampleRecordOut } from '../input.js';
import { parseCidr } from './cidr.js';
import { arpFrame, chunked, ethernet, ipv4, ipv6, pcapFile, recordOffsets, sll, type RecordSpec } from './pcap.fixture.js';
import { createPcapInput, type PcapSink } from './pcap-input.js';

/** A recording SampleSink with the publisher's queue: flush() drains it after `drainMs`. */
function fakeSink(drainMs = 0) {
  const published: SampleRecordOut[] = [];
  let queued = 0;
  let maxQueued = 0;
  let flushes = 0;
  const sink: PcapSink = {
    publish(r) {
      published.push(r);
      queued++;
      maxQueued = Math.max(maxQueued, queued);
    },
    queueDepth: () => queued,
    flush() {
      flushes++;
      return new Promise((res) =>
        setTimeout(() => {
          queued = 0;
          res();
        }, drainMs),
      );
    },
  };
  return { sink, published, records: () => published.map((r) => decodeTrafficDelta(r.value)), stats: () => ({ maxQueued, flushes }) };
}

const T0 = 1_795_000_000;
// 10 seconds of traffic: out from 10.0.0.1, in to it, v6, and an ARP frame per second.
const traffic: RecordSpec[] = [];
for (let s = 0; s < 10; s++) {
  traffic.push({ tsSec: T0 + s, tsFrac: 1000, data: ethernet(ipv4('10.0.0.1', '192.0.2.9', 100 + s)) });
  traffic.push({ tsSec: T0 + s, tsFrac: 400_000, data: ethernet(ipv4('192.0.2.9', '10.0.0.1', 1000)) });
  traffic.push({ tsSec: T0 + s, tsFrac: 600_000, data: ethernet(ipv6('fd00::1', '2001:db8::1', 200)) });
  traffic.push({ tsSec: T0 + s, tsFrac: 999_999, data: arpFrame() });
}
const frameLen = (r: RecordSpec) => r.origLen ?? r.data.length;

function input(sinkObj: PcapSink, file: Buffer, opts: { local?: string[]; highWater?: number; chunk?: number } = {}) {
  return createPcapInput(
    silentLogger,
    { deviceId: 'cap1', localNets: (opts.local ?? ['10.0.0.0/8', 'fd00::/8']).map(parseCidr), name: 'test.pcap', open: () => chunked(file, opts.chunk ?? 1000), highWater: opts.highWater },
    { sink: sinkObj, registry: createRegistry({ defaultMetrics: false }) },
  );
}

const sum = (rs: TrafficDelta[], k: 'inOctets' | 'outOctets' | 'inPackets' | 'outPackets') => rs.reduce((a, r) => a + r[k], 0n);

test('an import publishes 1 s buckets keyed by device, in order, the final flag only on the last; totals match the file', async () => {
  const f = fakeSink();
  const inp = input(f.sink, pcapFile({ linkType: 1 }, traffic));
  await inp.start();
  const s = await inp.done();
  const recs = f.records();
  assert.equal(s.error, null);
  assert.equal(s.interrupted, false);
  assert.equal(recs.length, 10);
  assert.ok(f.published.every((r) => r.key === 'cap1' && r.topic === undefined));
  assert.deepEqual(recs.map((r) => r.start), Array.from({ length: 10 }, (_, i) => (T0 + i) * 1000));
  assert.deepEqual(recs.map((r) => r.final), [...Array<boolean>(9).fill(false), true]);
  assert.ok(recs.every((r) => r.ifIndex === 1 && r.ifName === 'pcap' && r.source === 'pcap'));
  // out: the 10.0.0.1 and fd00::1 packets; in: the replies and ARP (undecidable).
  const out = traffic.filter((_, i) => i % 4 === 0 || i % 4 === 2);
  const inn = traffic.filter((_, i) => i % 4 === 1 || i % 4 === 3);
  assert.equal(sum(recs, 'outOctets'), BigInt(out.reduce((a, r) => a + frameLen(r), 0)));
  assert.equal(sum(recs, 'inOctets'), BigInt(inn.reduce((a, r) => a + frameLen(r), 0)));
  assert.equal(sum(recs, 'outPackets'), 20n);
  assert.equal(sum(recs, 'inPackets'), 20n);
  assert.equal(s.packets, 40);
  assert.equal(s.undecidable, 10);
  assert.equal(s.records, 10);
  assert.equal(s.outOctets, sum(recs, 'outOctets'));
  assert.equal(s.firstTsMs, T0 * 1000 + 1);
  assert.equal(s.lastTsMs, (T0 + 9) * 1000 + 999);
  assert.equal(s.header?.linkType, 1);
});

test('a truncated capture publishes everything before the cut, ends with final=true, and reports where', async () => {
  const file = pcapFile({ linkType: 1 }, traffic);
  const cutPacket = 22; // 0-based: packets 0..21 are whole
  const off = recordOffsets(traffic)[cutPacket];
  const f = fakeSink();
  const inp = input(f.sink, file.subarray(0, off + 16 + 30));
  await inp.start();
  const s = await inp.done();
  assert.equal(s.error?.kind, 'truncated');
  assert.equal(s.error?.offset, off);
  assert.equal(s.error?.packet, cutPacket + 1);
  assert.match(s.error?.message ?? '', new RegExp(`packet #${cutPacket + 1}`));
  const recs = f.records();
  const whole = traffic.slice(0, cutPacket);
  assert.equal(s.packets, cutPacket);
  assert.equal(sum(recs, 'inOctets') + sum(recs, 'outOctets'), BigInt(whole.reduce((a, r) => a + frameLen(r), 0)));
  assert.equal(recs.at(-1)?.final, true);
  assert.equal(recs.filter((r) => r.final).length, 1);
});

test('pcapng: nothing is published, the error carries the conversion hint', async () => {
  const { pcapngSectionHeader } = await import('./pcap.fixture.js');
  const f = fakeSink();
  const inp = input(f.sink, pcapngSectionHeader());
  await inp.start();
  assert.equal(await inp.header(), null);
  const s = await inp.done();
  assert.equal(s.error?.kind, 'pcapng');
  assert.match(s.error?.message ?? '', /editcap -F pcap/);
  assert.equal(f.published.length, 0);
});

test('backpressure: reading pauses while the sink holds highWater records; nothing is lost', async () => {
  const long: RecordSpec[] = Array.from({ length: 300 }, (_, i) => ({ tsSec: T0 + i, data: ethernet(ipv4('10.0.0.1', '192.0.2.1', 64)) }));
  const f = fakeSink(2);
  const inp = input(f.sink, pcapFile({ linkType: 1 }, long), { highWater: 20, chunk: 200 });
  await inp.start();
  const s = await inp.done();
  assert.equal(s.error, null);
  assert.equal(f.records().length, 300);
  assert.ok(f.stats().flushes > 5, `flushed while reading (${f.stats().flushes})`);
  // A chunk of 200 bytes holds at most 3 packets, so the queue overshoots by very little.
  assert.ok(f.stats().maxQueued <= 24, `queue stayed near highWater (${f.stats().maxQueued})`);
});

test('link types: SLL is classified; an unknown one is refused with local networks and counted as in without', async () => {
  const sllFile = pcapFile({ linkType: 113 }, [{ tsSec: T0, data: sll(ipv4('10.0.0.1', '1.1.1.1', 500)) }, { tsSec: T0, data: sll(ipv4('1.1.1.1', '10.0.0.1', 40)) }]);
  const a = fakeSink();
  const ia = input(a.sink, sllFile);
  await ia.start();
  await ia.done();
  assert.deepEqual(a.records().map((r) => [r.outOctets, r.inOctets]), [[516n, 56n]]);

  const odd = pcapFile({ linkType: 147 }, [{ tsSec: T0, data: Buffer.alloc(80) }]);
  const b = fakeSink();
  const ib = input(b.sink, odd);
  await ib.start();
  const sb = await ib.done();
  assert.equal(sb.error?.kind, 'unsupported');
  assert.match(sb.error?.message ?? '', /link type 147; supported link types: 0 \(BSD loopback/);
  assert.equal(b.published.length, 0);

  const c = fakeSink();
  const ic = input(c.sink, odd, { local: [] });
  await ic.start();
  const sc = await ic.done();
  assert.equal(sc.error, null);
  assert.deepEqual(c.records().map((r) => [r.inOctets, r.outOctets, r.final]), [[80n, 0n, true]]);
});

test('stop() ends the import gracefully: what was read is published with final=true', async () => {
  const { PassThrough } = await import('node:stream');
  const live = new PassThrough();
  const f = fakeSink();
  const inp = createPcapInput(silentLogger, { deviceId: 'cap1', localNets: [], name: 'stdin', open: () => live }, { sink: f.sink, registry: createRegistry({ defaultMetrics: false }) });
  await inp.start();
  live.write(pcapFile({ linkType: 1 }, traffic.slice(0, 8)));
  await inp.header();
  await new Promise((r) => setImmediate(r));
  await inp.stop();
  const s = await inp.done();
  assert.equal(s.interrupted, true);
  assert.equal(s.packets, 8);
  const recs = f.records();
  assert.equal(recs.length, 2);
  assert.equal(recs[1].final, true);

  // Stopped before it started: done() still resolves.
  const never = createPcapInput(silentLogger, { deviceId: 'x', localNets: [], name: 'n', open: () => live }, { sink: fakeSink().sink, registry: createRegistry({ defaultMetrics: false }) });
  await never.stop();
  assert.equal((await never.done()).packets, 0);
});
