// Reads a classic pcap file or stream with pcap-parser, guarded where pcap-parser falls short.
// pcap-parser 0.2.1 parses the format (global header, record headers, bodies) but: it rejects the
// nanosecond magic (a1b23c4d), says only "unknown magic number" for pcapng, and ends silently on a
// truncated file, buffering the rest without bound on a corrupt record length. So a guard stream
// in front of it checks the magic (pcapng, gzip, modified pcap get a message saying what to do),
// rewrites the nanosecond magic to the microsecond one (the record layout is the same; only the
// fraction's unit differs, which we apply), and counts the bytes; the reader then checks each
// record header's captured length against the snapshot length, and at the end compares the bytes
// pcap-parser consumed with the bytes that came in: a difference is a truncation, reported with
// the byte offset and the packet number. Everything before a truncation has been delivered.
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import pcapParser from 'pcap-parser';
import { PcapError, errorMessage } from '../../../common/errors.js';
import type { CapturedPacket } from './bucketer.js';
import { linkTypeOf } from './link-layer.js';

export const GLOBAL_HEADER_BYTES = 24;
export const RECORD_HEADER_BYTES = 16;
/** libpcap's largest snapshot length for any link type; a bigger captured length is corruption. */
const MAX_CAPLEN = 256 * 1024 * 1024;
/** libpcap's usual maximum (MAXIMUM_SNAPLEN): allowed even when the header's snaplen is smaller. */
const USUAL_MAX_SNAPLEN = 262_144;

export const CONVERT_HINT = 'convert it to classic pcap with `editcap -F pcap in.pcapng out.pcap` (Wireshark) or `tcpdump -r in.pcapng -w out.pcap`';

export interface PcapFileHeader {
  byteOrder: 'big-endian' | 'little-endian';
  nanosecond: boolean;
  version: string;
  snapLen: number;
  /** The link type (FCS bits masked off). */
  linkType: number;
}

export interface PcapReadResult {
  header: PcapFileHeader | null;
  /** Packets delivered to onPacket. */
  packets: number;
  /** Bytes that came in. */
  bytes: number;
  /** Why reading ended early; null at a clean end of input (or after stop()). */
  error: PcapError | null;
  /** stop() ended it. */
  stopped: boolean;
}

export interface PcapReaderOptions {
  source: Readable;
  /** Names the input in messages: the file name, or "stdin". */
  name: string;
  /** Called once the global header is read; may throw a PcapError to refuse the input. */
  onHeader?: (header: PcapFileHeader) => void;
  /** Called for each packet, in file order; the bytes are only valid during the call. */
  onPacket: (packet: CapturedPacket) => void;
}

export interface PcapReader {
  /** Resolves with the global header once read and accepted (onHeader), or null when reading ended without one. */
  readonly header: Promise<PcapFileHeader | null>;
  /** Resolves (never rejects) when reading has ended: end of input, an error, or stop(). */
  readonly done: Promise<PcapReadResult>;
  /** Backpressure: no more packets until resume() (the current chunk still finishes). */
  pause(): void;
  resume(): void;
  /** Ends reading now: nothing more is delivered. */
  stop(): void;
  /** Bytes read from the source and packets delivered so far (for a progress display). */
  progress(): { bytes: number; packets: number };
}

interface Magic {
  byteOrder: PcapFileHeader['byteOrder'];
  nanosecond: boolean;
  /** What pcap-parser is given instead (the microsecond magic of the same byte order). */
  asMicro: Buffer;
}

const MAGICS = new Map<string, Magic>([
  ['a1b2c3d4', { byteOrder: 'big-endian', nanosecond: false, asMicro: Buffer.from('a1b2c3d4', 'hex') }],
  ['d4c3b2a1', { byteOrder: 'little-endian', nanosecond: false, asMicro: Buffer.from('d4c3b2a1', 'hex') }],
  ['a1b23c4d', { byteOrder: 'big-endian', nanosecond: true, asMicro: Buffer.from('a1b2c3d4', 'hex') }],
  ['4d3cb2a1', { byteOrder: 'little-endian', nanosecond: true, asMicro: Buffer.from('d4c3b2a1', 'hex') }],
]);

/** Recognises the first 4 bytes, or says what the input is instead. */
export function checkMagic(first4: Buffer, name: string): Magic {
  const hex = first4.toString('hex');
  const known = MAGICS.get(hex);
  if (known) return known;
  if (hex === '0a0d0d0a') throw new PcapError('pcapng', `${name} is a pcapng file; netmon reads classic pcap only: ${CONVERT_HINT}`, { offset: 0 });
  if (hex === 'a1b2cd34' || hex === '34cdb2a1') throw new PcapError('not-pcap', `${name} is in the "modified pcap" (Kuznetzov) format; netmon reads classic pcap only: convert it with \`editcap -F pcap in out.pcap\``, { offset: 0 });
  if (hex.startsWith('1f8b')) throw new PcapError('not-pcap', `${name} is gzip-compressed: decompress it first (e.g. \`zcat FILE | netmon pcap import - ...\`)`, { offset: 0 });
  throw new PcapError('not-pcap', `${name} is not a pcap file: magic number 0x${hex}, expected ${[...MAGICS.keys()].map((m) => `0x${m}`).join(', ')} (or pcapng, which must be converted: ${CONVERT_HINT})`, { offset: 0 });
}

/** Counts the bytes and checks (and for nanosecond files rewrites) the magic before pcap-parser sees it. */
class MagicGuard extends Transform {
  total = 0;
  magic: Magic | null = null;
  private head: Buffer[] = [];
  private headLen = 0;

  constructor(private readonly inputName: string) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.total += chunk.length;
    if (this.magic !== null) return cb(null, chunk);
    this.head.push(chunk);
    this.headLen += chunk.length;
    if (this.headLen < 4) return cb();
    const all = Buffer.concat(this.head, this.headLen);
    this.head = [];
    try {
      this.magic = checkMagic(all.subarray(0, 4), this.inputName);
    } catch (err) {
      return cb(err as Error);
    }
    this.magic.asMicro.copy(all, 0);
    cb(null, all);
  }

  override _flush(cb: TransformCallback): void {
    // Fewer than 4 bytes: pass them on; the end-of-input check reports the short header.
    if (this.magic === null && this.headLen > 0) this.push(Buffer.concat(this.head, this.headLen));
    cb();
  }
}

export function readPcap(o: PcapReaderOptions): PcapReader {
  const guard = new MagicGuard(o.name);
  let header: PcapFileHeader | null = null;
  let accepted = false;
  let packets = 0;
  // Byte offset of the next record header, from what pcap-parser has consumed.
  let offset = GLOBAL_HEADER_BYTES;
  let pendingCaplen: number | null = null;
  let settled = false;
  let resolveHeader!: (h: PcapFileHeader | null) => void;
  let resolveDone!: (r: PcapReadResult) => void;
  const headerP = new Promise<PcapFileHeader | null>((r) => (resolveHeader = r));
  const done = new Promise<PcapReadResult>((r) => (resolveDone = r));

  function settle(error: PcapError | null, stopped = false): void {
    if (settled) return;
    settled = true;
    o.source.unpipe(guard);
    if (error !== null || stopped) {
      o.source.destroy();
      guard.destroy();
    }
    resolveHeader(accepted ? header : null);
    resolveDone({ header, packets, bytes: guard.total, error, stopped });
  }

  const fail = (err: unknown) => settle(err instanceof PcapError ? err : new PcapError('io', `${o.name}: ${errorMessage(err)}`, { cause: err }));

  const readBefore = () => `the ${packets} packet${packets === 1 ? '' : 's'} before it ${packets === 1 ? 'was' : 'were'} read`;

  function atEnd(): void {
    if (settled) return;
    const total = guard.total;
    if (header === null) {
      if (total === 0) return fail(new PcapError('empty', `${o.name} is empty: no pcap global header`, { offset: 0 }));
      return fail(new PcapError('truncated', `${o.name} is truncated at byte offset ${total}: the pcap global header needs ${GLOBAL_HEADER_BYTES} bytes`, { offset: total, packet: 1 }));
    }
    if (total > offset) {
      const n = packets + 1;
      const left = total - offset;
      const what =
        left < RECORD_HEADER_BYTES || pendingCaplen === null
          ? `the record header of packet #${n} has ${left} of ${RECORD_HEADER_BYTES} bytes`
          : `packet #${n} declares ${pendingCaplen} captured bytes but only ${left - RECORD_HEADER_BYTES} follow its record header`;
      return fail(new PcapError('truncated', `${o.name} is truncated at byte offset ${offset} (${total} bytes in all): ${what}; ${readBefore()}`, { offset, packet: n }));
    }
    settle(null);
  }

  const parser = pcapParser.parse(guard);
  parser.on('globalHeader', (h) => {
    if (settled) return;
    const magic = guard.magic!;
    header = {
      byteOrder: magic.byteOrder,
      nanosecond: magic.nanosecond,
      version: `${h.majorVersion}.${h.minorVersion}`,
      snapLen: h.snapshotLength,
      linkType: linkTypeOf(h.linkLayerType),
    };
    try {
      o.onHeader?.(header);
    } catch (err) {
      return fail(err);
    }
    accepted = true;
    resolveHeader(header);
  });
  parser.on('packetHeader', (h) => {
    if (settled) return;
    const limit = Math.min(Math.max(header!.snapLen, USUAL_MAX_SNAPLEN), MAX_CAPLEN);
    if (h.capturedLength > limit) {
      return fail(new PcapError('corrupt', `${o.name} is corrupt at byte offset ${offset}: the record header of packet #${packets + 1} declares ${h.capturedLength} captured bytes, more than the snapshot length ${header!.snapLen} allows; ${readBefore()}`, { offset, packet: packets + 1 }));
    }
    pendingCaplen = h.capturedLength;
  });
  parser.on('packet', (p) => {
    if (settled) return;
    const h = p.header;
    const divisor = header!.nanosecond ? 1_000_000 : 1000;
    try {
      o.onPacket({ tsMs: h.timestampSeconds * 1000 + Math.floor(h.timestampMicroseconds / divisor), origLen: h.originalLength, linkType: header!.linkType, bytes: p.data });
    } catch (err) {
      return fail(err);
    }
    packets++;
    offset += RECORD_HEADER_BYTES + h.capturedLength;
    pendingCaplen = null;
  });
  // pcap-parser re-emits the guard's errors (bad magic) and adds its own (unsupported version).
  parser.on('error', (err) => fail(err instanceof PcapError ? err : new PcapError('not-pcap', `${o.name}: ${err.message}`, { offset: 0, cause: err })));
  parser.on('end', atEnd);
  o.source.on('error', (err) => fail(new PcapError('io', `cannot read ${o.name}: ${err.message}`, { cause: err })));
  o.source.pipe(guard);

  return {
    header: headerP,
    done,
    pause: () => void guard.pause(),
    resume: () => void guard.resume(),
    stop: () => settle(null, true),
    progress: () => ({ bytes: guard.total, packets }),
  };
}
