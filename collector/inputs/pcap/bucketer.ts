// The pcap input's pure core: captured packets in, TrafficDelta records out, in 1-second buckets
// [floor(ts), floor(ts) + 1 s) of the packets' own timestamps (event time; the clock is never read).
// Rules:
// - Octets are the packet's ORIGINAL length (pcap orig_len: the whole frame as it was on the wire,
//   link-layer header included, as tshark's frame.len), not the captured (snapshot) length.
// - Direction: a packet is "out" when its IP source is in a local network, otherwise "in".
//   So src local and dst not = out; dst local and src not = in; both local = out (traffic leaving
//   one local host); neither local = in. Every packet is counted exactly once: in + out = all.
//   With no local networks, and for packets without IP addresses (ARP, LLDP, cut short, unknown
//   link type), the direction is undecidable and the packet counts as "in" (and as undecidable).
// - A bucket is released once a packet `holdSeconds` or more later has been seen (captures are
//   nearly, not strictly, in time order); a packet older than that makes one more record for its
//   second, which the processor adds to what it has (deltas are additive). At the end, the rest
//   is released in time order and the LAST record carries final=true, so the end-of-import marker
//   travels in the same ordered stream as the data (same key, same partition) and cannot overtake it.
import type { TrafficDeltaInput } from '../../../common/contracts/traffic-delta.js';
import type { NetMatcher } from './cidr.js';
import { locateAddresses } from './link-layer.js';

export interface CapturedPacket {
  /** Capture timestamp, ms since the epoch. */
  tsMs: number;
  /** orig_len: the frame's length on the wire. */
  origLen: number;
  linkType: number;
  /** The captured bytes (at most the snapshot length). Only read during the call. */
  bytes: Uint8Array;
}

export type Direction = 'in' | 'out';

export interface Classification {
  direction: Direction;
  /** False when the packet had no IP addresses or there are no local networks. */
  decided: boolean;
}

/** The direction rule above, as a function of the packet. */
export function classify(local: NetMatcher, linkType: number, bytes: Uint8Array): Classification {
  if (local.size === 0) return { direction: 'in', decided: false };
  const a = locateAddresses(linkType, bytes);
  if (a === null) return { direction: 'in', decided: false };
  return { direction: local.contains(a.family, bytes, a.src) ? 'out' : 'in', decided: true };
}

export interface BucketerOptions {
  deviceId: string;
  ifIndex: number;
  ifName: string;
  localNets: NetMatcher;
  /** Seconds a bucket stays open after newer packets arrive. Default 2, at least 1. */
  holdSeconds?: number;
}

export interface BucketStats {
  packets: number;
  inPackets: bigint;
  outPackets: bigint;
  inOctets: bigint;
  outOctets: bigint;
  /** Packets whose direction could not be decided (counted as in). */
  undecidable: number;
  /** Packets with a timestamp before one already seen. */
  outOfOrder: number;
  /** Records released so far. */
  records: number;
  /** Earliest and latest packet timestamp (ms); null before the first packet. */
  firstTsMs: number | null;
  lastTsMs: number | null;
}

export interface Bucketer {
  /** Adds a packet; returns the records that became ready (time order, final=false). */
  add(packet: CapturedPacket): TrafficDeltaInput[];
  /** Ends the import: the remaining records in time order, the last with final=true ([] when no packet came). */
  finish(): TrafficDeltaInput[];
  stats(): BucketStats;
}

interface Bucket {
  inOctets: number;
  outOctets: number;
  inPackets: number;
  outPackets: number;
}

const SECOND = 1000;

export function createBucketer(o: BucketerOptions): Bucketer {
  const hold = o.holdSeconds ?? 2;
  if (!Number.isInteger(hold) || hold < 1) throw new RangeError(`holdSeconds must be an integer >= 1, got ${hold}`);
  if (!Number.isInteger(o.ifIndex) || o.ifIndex < 1) throw new RangeError(`ifIndex must be an integer >= 1, got ${o.ifIndex}`);
  // Per-second sums stay doubles (exact: one second cannot carry 2^53 octets); records carry bigint.
  const open = new Map<number, Bucket>();
  let maxSec = -Infinity;
  let finished = false;
  const s: BucketStats = { packets: 0, inPackets: 0n, outPackets: 0n, inOctets: 0n, outOctets: 0n, undecidable: 0, outOfOrder: 0, records: 0, firstTsMs: null, lastTsMs: null };

  function record(sec: number, b: Bucket): TrafficDeltaInput {
    s.records++;
    s.inOctets += BigInt(b.inOctets);
    s.outOctets += BigInt(b.outOctets);
    s.inPackets += BigInt(b.inPackets);
    s.outPackets += BigInt(b.outPackets);
    return {
      deviceId: o.deviceId,
      source: 'pcap',
      ifIndex: o.ifIndex,
      ifName: o.ifName,
      start: sec * SECOND,
      end: sec * SECOND + SECOND,
      inOctets: BigInt(b.inOctets),
      outOctets: BigInt(b.outOctets),
      inPackets: BigInt(b.inPackets),
      outPackets: BigInt(b.outPackets),
      final: false,
    };
  }

  /** Releases the open buckets of seconds <= `through`, in time order. */
  function release(through: number): TrafficDeltaInput[] {
    const ready = [...open.keys()].filter((sec) => sec <= through).sort((a, b) => a - b);
    return ready.map((sec) => {
      const b = open.get(sec)!;
      open.delete(sec);
      return record(sec, b);
    });
  }

  return {
    add(p) {
      if (finished) throw new Error('bucketer: add() after finish()');
      if (!Number.isFinite(p.tsMs) || p.tsMs < 0) throw new RangeError(`packet timestamp out of range: ${p.tsMs}`);
      const sec = Math.floor(p.tsMs / SECOND);
      const c = classify(o.localNets, p.linkType, p.bytes);
      let b = open.get(sec);
      if (b === undefined) open.set(sec, (b = { inOctets: 0, outOctets: 0, inPackets: 0, outPackets: 0 }));
      if (c.direction === 'out') {
        b.outOctets += p.origLen;
        b.outPackets++;
      } else {
        b.inOctets += p.origLen;
        b.inPackets++;
      }
      s.packets++;
      if (!c.decided) s.undecidable++;
      if (s.lastTsMs !== null && p.tsMs < s.lastTsMs) s.outOfOrder++;
      if (s.firstTsMs === null || p.tsMs < s.firstTsMs) s.firstTsMs = p.tsMs;
      if (s.lastTsMs === null || p.tsMs > s.lastTsMs) s.lastTsMs = p.tsMs;
      const advanced = sec > maxSec;
      if (advanced) maxSec = sec;
      // Release on a new second, or at once for a packet already past the hold (a straggler).
      return advanced || sec <= maxSec - hold ? release(maxSec - hold) : [];
    },
    finish() {
      if (finished) return [];
      finished = true;
      const rest = release(Infinity);
      if (rest.length > 0) rest[rest.length - 1].final = true;
      return rest;
    },
    stats: () => ({ ...s }),
  };
}
