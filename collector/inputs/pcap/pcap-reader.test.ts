import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { repoRoot } from '../../../common/package-root.js';
import type { CapturedPacket } from './bucketer.js';
import { chunked, ethernet, ipv4, ipv6, pcapFile, pcapGlobalHeader, pcapngSectionHeader, pcapRecord, recordOffsets, sll, type FileSpec, type RecordSpec } from './pcap.fixture.js';
import { PcapError } from '../../../common/errors.js';
import { readPcap, type PcapFileHeader, type PcapReadResult } from './pcap-reader.js';

interface Got {
  result: PcapReadResult;
  packets: Array<Omit<CapturedPacket, 'bytes'> & { caplen: number; first: number }>;
  header: PcapFileHeader | null;
}

async function read(source: Readable, name = 'test.pcap', onHeader?: (h: PcapFileHeader) => void): Promise<Got> {
  const packets: Got['packets'] = [];
  const r = readPcap({ source, name, onHeader, onPacket: (p) => packets.push({ tsMs: p.tsMs, origLen: p.origLen, linkType: p.linkType, caplen: p.bytes.length, first: p.bytes[0] }) });
  const [header, result] = await Promise.all([r.header, r.done]);
  return { result, packets, header };
}

const records: RecordSpec[] = [
  { tsSec: 1_795_000_000, tsFrac: 999_999, data: ethernet(ipv4('10.0.0.1', '10.0.0.2', 100)) },
  { tsSec: 1_795_000_001, tsFrac: 0, data: ethernet(ipv6('::1', '::2', 200)).subarray(0, 64), origLen: 214 },
  { tsSec: 1_795_000_001, tsFrac: 500_000, data: ethernet(ipv4('10.0.0.2', '10.0.0.1', 1500)) },
];

test('classic pcap in both byte orders, microsecond and nanosecond, in any chunking', async () => {
  const cases: Array<{ name: string; spec: FileSpec; chunk: number }> = [
    { name: 'little-endian µs, whole', spec: { linkType: 1, byteOrder: 'LE' }, chunk: 1 << 20 },
    { name: 'big-endian µs, 7-byte chunks', spec: { linkType: 1, byteOrder: 'BE' }, chunk: 7 },
    { name: 'little-endian ns, 1-byte chunks', spec: { linkType: 1, byteOrder: 'LE', nanosecond: true }, chunk: 1 },
    { name: 'big-endian ns, 3-byte chunks', spec: { linkType: 1, byteOrder: 'BE', nanosecond: true }, chunk: 3 },
  ];
  for (const c of cases) {
    const recs = c.spec.nanosecond ? records.map((r) => ({ ...r, tsFrac: (r.tsFrac ?? 0) * 1000 + 999 })) : records;
    const { result, packets, header } = await read(chunked(pcapFile(c.spec, recs), c.chunk));
    assert.equal(result.error, null, c.name);
    assert.equal(result.packets, 3, c.name);
    assert.equal(result.bytes, pcapFile(c.spec, recs).length, c.name);
    assert.deepEqual(header, { byteOrder: c.spec.byteOrder === 'BE' ? 'big-endian' : 'little-endian', nanosecond: !!c.spec.nanosecond, version: '2.4', snapLen: 262144, linkType: 1 }, c.name);
    assert.deepEqual(packets.map((p) => [p.tsMs, p.origLen, p.caplen, p.linkType]), [
      [1_795_000_000_999, 114, 114, 1],
      [1_795_000_001_000, 214, 64, 1],
      [1_795_000_001_500, 1514, 1514, 1],
    ], c.name);
  }
});

test('files written by tcpdump on lo (µs; ns with a 64-byte snapshot): lengths and times as `tcpdump -r -tt -e` prints them', async () => {
  const dir = join(repoRoot(), 'test', 'fixtures', 'pcap');
  const micro = await read(createReadStream(join(dir, 'lo-udp.pcap')));
  assert.equal(micro.result.error, null);
  assert.equal(micro.header?.linkType, 1);
  assert.equal(micro.header?.nanosecond, false);
  assert.deepEqual(micro.packets.map((p) => [p.tsMs, p.origLen, p.caplen]), [
    [1795285234142, 43, 43],
    [1795285234143, 70, 70],
    [1795285234544, 342, 342],
    [1795285234545, 369, 369],
    [1795285234946, 1442, 1442],
    [1795285234946, 1469, 1469],
  ]);
  const nano = await read(createReadStream(join(dir, 'lo-udp-nano-snap64.pcap')));
  assert.equal(nano.result.error, null);
  assert.equal(nano.header?.nanosecond, true);
  assert.equal(nano.header?.snapLen, 64);
  assert.deepEqual(nano.packets.map((p) => [p.tsMs, p.origLen, p.caplen]), [
    [1795285248136, 142, 64],
    [1795285248138, 167, 64],
    [1795285248841, 942, 64],
    [1795285248841, 967, 64],
  ]);
});

test('truncation: the error names the byte offset and packet number; packets before it are delivered', async () => {
  const spec: FileSpec = { linkType: 1 };
  const file = pcapFile(spec, records);
  const offs = recordOffsets(records);
  const cases: Array<{ name: string; cut: number; packets: number; offset: number; message: RegExp }> = [
    { name: 'in the body of packet 3', cut: offs[2] + 16 + 100, packets: 2, offset: offs[2], message: new RegExp(`truncated at byte offset ${offs[2]} \\(${offs[2] + 116} bytes in all\\): packet #3 declares 1514 captured bytes but only 100 follow its record header; the 2 packets before it were read`) },
    { name: 'in the record header of packet 2', cut: offs[1] + 5, packets: 1, offset: offs[1], message: new RegExp(`truncated at byte offset ${offs[1]} .*the record header of packet #2 has 5 of 16 bytes; the 1 packet before it was read`) },
    { name: 'right after the record header of packet 1', cut: 24 + 16, packets: 0, offset: 24, message: /packet #1 declares 114 captured bytes but only 0 follow/ },
    { name: 'in the global header', cut: 10, packets: 0, offset: 10, message: /truncated at byte offset 10: the pcap global header needs 24 bytes/ },
  ];
  for (const c of cases) {
    for (const chunk of [1 << 20, 5]) {
      const { result, packets } = await read(chunked(file.subarray(0, c.cut), chunk), 'cut.pcap');
      assert.equal(packets.length, c.packets, c.name);
      assert.ok(result.error instanceof PcapError, c.name);
      assert.equal(result.error.kind, 'truncated', c.name);
      assert.equal(result.error.code, 'NETMON_ERR_PCAP');
      assert.equal(result.error.offset, c.offset, c.name);
      assert.equal(result.error.packet, c.packets + 1, c.name);
      assert.match(result.error.message, /^cut\.pcap is truncated/, c.name);
      assert.match(result.error.message, c.message, c.name);
    }
  }
});

test('not classic pcap: pcapng (with the conversion hint), gzip, garbage, empty', async () => {
  const cases: Array<{ name: string; bytes: Buffer; kind: string; message: RegExp }> = [
    { name: 'pcapng', bytes: Buffer.concat([pcapngSectionHeader(), Buffer.alloc(100)]), kind: 'pcapng', message: /^x\.pcapng is a pcapng file; netmon reads classic pcap only: convert it to classic pcap with `editcap -F pcap in\.pcapng out\.pcap` \(Wireshark\) or `tcpdump -r in\.pcapng -w out\.pcap`$/ },
    { name: 'pcapng, only its first 4 bytes', bytes: pcapngSectionHeader().subarray(0, 4), kind: 'pcapng', message: /editcap -F pcap/ },
    { name: 'gzip', bytes: Buffer.from('1f8b0800000000000003', 'hex'), kind: 'not-pcap', message: /gzip-compressed/ },
    { name: 'text', bytes: Buffer.from('hello, this is not a capture at all\n'), kind: 'not-pcap', message: /not a pcap file: magic number 0x68656c6c, expected 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1/ },
    { name: 'modified pcap', bytes: Buffer.concat([Buffer.from('a1b2cd34', 'hex'), Buffer.alloc(40)]), kind: 'not-pcap', message: /modified pcap/ },
    { name: 'empty', bytes: Buffer.alloc(0), kind: 'empty', message: /^x\.pcapng is empty/ },
    { name: 'three bytes', bytes: Buffer.from('d4c3b2', 'hex'), kind: 'truncated', message: /global header needs 24 bytes/ },
  ];
  for (const c of cases) {
    const { result, packets } = await read(chunked(c.bytes, 2), 'x.pcapng');
    assert.equal(packets.length, 0, c.name);
    assert.ok(result.error instanceof PcapError, c.name);
    assert.equal(result.error.kind, c.kind, c.name);
    assert.match(result.error.message, c.message, c.name);
  }
});

test('an unsupported pcap version is reported (pcap-parser\'s own check)', async () => {
  const h = pcapGlobalHeader({ linkType: 1 });
  h.writeUInt16LE(1, 4);
  h.writeUInt16LE(0, 6);
  const { result } = await read(chunked(h, 100));
  assert.equal(result.error?.kind, 'not-pcap');
  assert.match(result.error?.message ?? '', /unsupported version 1\.0/);
});

test('a corrupt captured length stops reading at once (no unbounded buffering)', async () => {
  const spec: FileSpec = { linkType: 1, snapLen: 65535 };
  const bad = pcapRecord(spec, { tsSec: 1, data: Buffer.alloc(10), inclLen: 0x7fffffff });
  const file = Buffer.concat([pcapFile(spec, records.slice(0, 1)), bad, Buffer.alloc(5000)]);
  const { result, packets } = await read(chunked(file, 4096));
  assert.equal(packets.length, 1);
  assert.equal(result.error?.kind, 'corrupt');
  assert.equal(result.error?.offset, 24 + 16 + 114);
  assert.match(result.error?.message ?? '', /packet #2 declares 2147483647 captured bytes, more than the snapshot length 65535 allows/);
});

test('onHeader may refuse the input; stop() ends a stream that never ends; source errors', async () => {
  const refused = await read(chunked(pcapFile({ linkType: 113 }, [{ tsSec: 1, data: sll(ipv4('1.1.1.1', '2.2.2.2')) }]), 100), 'x', () => {
    throw new PcapError('unsupported', 'no thanks');
  });
  assert.equal(refused.result.error?.message, 'no thanks');
  assert.equal(refused.header, null, 'a refused header is not announced');
  assert.equal(refused.packets.length, 0);

  const live = new PassThrough();
  const seen: number[] = [];
  const r = readPcap({ source: live, name: 'stdin', onPacket: (p) => seen.push(p.origLen) });
  live.write(pcapFile({ linkType: 1 }, records.slice(0, 2)));
  live.write(pcapRecord({ linkType: 1 }, records[2]).subarray(0, 20));
  await r.header;
  await new Promise((res) => setImmediate(res));
  r.stop();
  const res = await r.done;
  assert.equal(res.stopped, true);
  assert.equal(res.error, null);
  assert.deepEqual(seen, [114, 214]);

  const broken = new Readable({ read() { this.destroy(new Error('EIO: i/o error')); } });
  const io = await read(broken, 'disk.pcap');
  assert.equal(io.result.error?.kind, 'io');
  assert.match(io.result.error?.message ?? '', /cannot read disk\.pcap: EIO/);
});

test('pause() holds packets back until resume()', async () => {
  const many: RecordSpec[] = Array.from({ length: 200 }, (_, i) => ({ tsSec: 100 + i, data: ethernet(ipv4('10.0.0.1', '10.0.0.2', 60)) }));
  let count = 0;
  let pausedAt = -1;
  const r = readPcap({
    source: chunked(pcapFile({ linkType: 1 }, many), 500),
    name: 'p',
    onPacket: () => {
      count++;
      if (count === 10) {
        r.pause();
        pausedAt = count;
        setTimeout(() => {
          // The chunk being parsed finishes; no more arrive while paused.
          assert.ok(count - pausedAt < 10, `at most the rest of one chunk after pause (${count - pausedAt})`);
          r.resume();
        }, 50);
      }
    },
  });
  const res = await r.done;
  assert.equal(res.packets, 200);
  assert.equal(count, 200);
});
