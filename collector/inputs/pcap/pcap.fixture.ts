// Test data builders for the pcap input: whole classic pcap files (either byte order, microsecond or
// nanosecond magic) and frames of each supported link type, written byte by byte from the format
// descriptions (pcap-savefile(5), linktypes), so the tests do not depend on a capture tool.
import { Readable } from 'node:stream';
import { parseAddress } from './cidr.js';

export interface RecordSpec {
  tsSec: number;
  /** Microseconds, or nanoseconds in a nanosecond file. */
  tsFrac?: number;
  /** The captured bytes. */
  data: Uint8Array;
  /** orig_len; default data.length. */
  origLen?: number;
  /** incl_len written in the record header; default data.length (a lie makes a corrupt file). */
  inclLen?: number;
}

export interface FileSpec {
  linkType: number;
  byteOrder?: 'BE' | 'LE';
  nanosecond?: boolean;
  snapLen?: number;
}

export function pcapGlobalHeader(spec: FileSpec): Buffer {
  const le = (spec.byteOrder ?? 'LE') === 'LE';
  const b = Buffer.alloc(24);
  const u32 = (v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const u16 = (v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  u32(spec.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(2, 4);
  u16(4, 6);
  u32(0, 8);
  u32(0, 12);
  u32(spec.snapLen ?? 262144, 16);
  u32(spec.linkType, 20);
  return b;
}

export function pcapRecord(spec: FileSpec, r: RecordSpec): Buffer {
  const le = (spec.byteOrder ?? 'LE') === 'LE';
  const h = Buffer.alloc(16);
  const u32 = (v: number, o: number) => (le ? h.writeUInt32LE(v, o) : h.writeUInt32BE(v, o));
  u32(r.tsSec, 0);
  u32(r.tsFrac ?? 0, 4);
  u32(r.inclLen ?? r.data.length, 8);
  u32(r.origLen ?? r.data.length, 12);
  return Buffer.concat([h, r.data]);
}

export function pcapFile(spec: FileSpec, records: readonly RecordSpec[]): Buffer {
  return Buffer.concat([pcapGlobalHeader(spec), ...records.map((r) => pcapRecord(spec, r))]);
}

/** Byte offset of each record header in a file built by pcapFile. */
export function recordOffsets(records: readonly RecordSpec[]): number[] {
  const out: number[] = [];
  let off = 24;
  for (const r of records) {
    out.push(off);
    off += 16 + r.data.length;
  }
  return out;
}

/** A minimal pcapng Section Header Block (little-endian), as `tshark -w` or `dumpcap` start a file. */
export function pcapngSectionHeader(): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt32LE(0x0a0d0d0a, 0);
  b.writeUInt32LE(28, 4);
  b.writeUInt32LE(0x1a2b3c4d, 8);
  b.writeUInt16LE(1, 12);
  b.writeUInt16LE(0, 14);
  b.writeBigInt64LE(-1n, 16);
  b.writeUInt32LE(28, 24);
  return b;
}

/** An IPv4 packet of `totalLen` bytes (20-byte header, UDP protocol number, zero payload). */
export function ipv4(src: string, dst: string, totalLen = 60): Buffer {
  const b = Buffer.alloc(Math.max(totalLen, 20));
  b[0] = 0x45;
  b.writeUInt16BE(totalLen, 2);
  b[8] = 64;
  b[9] = 17;
  Buffer.from(parseAddress(src).bytes).copy(b, 12);
  Buffer.from(parseAddress(dst).bytes).copy(b, 16);
  return b;
}

/** An IPv6 packet of `totalLen` bytes (40-byte header, UDP next header, zero payload). */
export function ipv6(src: string, dst: string, totalLen = 80): Buffer {
  const b = Buffer.alloc(Math.max(totalLen, 40));
  b[0] = 0x60;
  b.writeUInt16BE(totalLen - 40, 4);
  b[6] = 17;
  b[7] = 64;
  Buffer.from(parseAddress(src).bytes).copy(b, 8);
  Buffer.from(parseAddress(dst).bytes).copy(b, 24);
  return b;
}

const ethertypeOf = (payload: Uint8Array) => (payload.length > 0 && payload[0] >> 4 === 6 ? 0x86dd : 0x0800);

/** An Ethernet frame around `payload`, with VLAN tags (TPIDs, outermost first) when given. */
export function ethernet(payload: Uint8Array, opts: { vlans?: number[]; ethertype?: number } = {}): Buffer {
  const tags = (opts.vlans ?? []).map((tpid, i) => {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(tpid, 0);
    t.writeUInt16BE(100 + i, 2);
    return t;
  });
  const macs = Buffer.from('020000000001020000000002', 'hex');
  const type = Buffer.alloc(2);
  type.writeUInt16BE(opts.ethertype ?? ethertypeOf(payload), 0);
  // In a tagged frame the TPIDs come first, each tag's TCI followed by the next type.
  return Buffer.concat([macs, ...tags, type, payload]);
}

/** A Linux cooked (SLL, 16-byte header) frame; `vlan` inserts one 802.1Q tag as libpcap does. */
export function sll(payload: Uint8Array, opts: { ethertype?: number; vlan?: boolean } = {}): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0, 0);
  h.writeUInt16BE(1, 2);
  h.writeUInt16BE(6, 4);
  Buffer.from('020000000001', 'hex').copy(h, 6);
  const inner = opts.ethertype ?? ethertypeOf(payload);
  if (!opts.vlan) {
    h.writeUInt16BE(inner, 14);
    return Buffer.concat([h, payload]);
  }
  h.writeUInt16BE(0x8100, 14);
  const tag = Buffer.alloc(4);
  tag.writeUInt16BE(42, 0);
  tag.writeUInt16BE(inner, 2);
  return Buffer.concat([h, tag, payload]);
}

/** A Linux cooked v2 (SLL2, 20-byte header) frame. */
export function sll2(payload: Uint8Array, opts: { ethertype?: number } = {}): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(opts.ethertype ?? ethertypeOf(payload), 0);
  h.writeUInt32BE(3, 4);
  h.writeUInt16BE(1, 8);
  h[10] = 4;
  h[11] = 6;
  return Buffer.concat([h, payload]);
}

/** A BSD loopback (DLT_NULL) frame: the address family in host (here little-endian) byte order. */
export function bsdLoopback(payload: Uint8Array, family: number): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32LE(family, 0);
  return Buffer.concat([h, payload]);
}

/** An Ethernet ARP request (not IP). */
export function arpFrame(): Buffer {
  return ethernet(Buffer.alloc(28, 1), { ethertype: 0x0806 });
}

/** A byte stream of `buf` in chunks of `size` bytes (a pipe delivers a file in pieces). */
export function chunked(buf: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts, { objectMode: false });
}
