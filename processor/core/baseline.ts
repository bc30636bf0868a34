// An interface's baseline: the last adopted Observation, kept between polls without keeping the
// record's bigint objects alive. Rules: values are stored exactly (counters are < 2^64 by the
// contract); absent errors/discards stay absent; `readInto` gives computeDelta an Observation.
// Why no bigint fields: a bigint held across polls survives young-generation GCs and is copied
// and promoted, 8 per interface per poll (that was most of the GC time at 1e6 samples/s).
// Counters live in `nums` as doubles, exact below 2^53 (every counter short of 9 PB); only when
// one reaches 2^53 is the exact 64-bit value kept as well, in a typed array.
import type { Observation } from './counter-delta.js';
import { numberToU64, u64ToNumber } from '../../common/u64.js';

const MAX_EXACT = Number.MAX_SAFE_INTEGER;

/** An observation's or a sample interface's counters, by name. */
export type Counters = Pick<Observation, 'inOctets' | 'outOctets' | 'inPackets' | 'outPackets' | 'inErrors' | 'outErrors' | 'inDiscards' | 'outDiscards'>;

/**
 * The 8 counters into `out` as doubles (0 when absent), in COUNTER_NAMES order; returns the
 * present mask of the optional ones (bit i: counter 4 + i).
 */
export function loadCounters(c: Counters, out: { [i: number]: number }): number {
  out[0] = u64ToNumber(c.inOctets);
  out[1] = u64ToNumber(c.outOctets);
  out[2] = u64ToNumber(c.inPackets);
  out[3] = u64ToNumber(c.outPackets);
  out[4] = c.inErrors === undefined ? 0 : u64ToNumber(c.inErrors);
  out[5] = c.outErrors === undefined ? 0 : u64ToNumber(c.outErrors);
  out[6] = c.inDiscards === undefined ? 0 : u64ToNumber(c.inDiscards);
  out[7] = c.outDiscards === undefined ? 0 : u64ToNumber(c.outDiscards);
  return (c.inErrors === undefined ? 0 : 1) | (c.outErrors === undefined ? 0 : 2) | (c.inDiscards === undefined ? 0 : 4) | (c.outDiscards === undefined ? 0 : 8);
}

export class Baseline {
  ts = 0;
  sysUpTime = 0;
  width: 64 | 32 = 64;
  speed = 0;
  discontinuityTime = 0;
  /** in/out octets, in/out packets, in/out errors, in/out discards, as doubles (0 when absent). */
  readonly nums = new Float64Array(8);
  /** The exact values when one of them is 2^53 or more (nums then holds it rounded); else null. */
  private big: BigUint64Array | null = null;
  /** Bit i set: optional counter 4 + i (errors/discards) was present. */
  present = 0;

  constructor(obs: Observation) {
    this.adopt(obs);
  }

  adopt(obs: Observation): void {
    const n = this.nums;
    this.adoptMeta(obs, loadCounters(obs, n));
    if (n[0] > MAX_EXACT || n[1] > MAX_EXACT || n[2] > MAX_EXACT || n[3] > MAX_EXACT || n[4] > MAX_EXACT || n[5] > MAX_EXACT || n[6] > MAX_EXACT || n[7] > MAX_EXACT) {
      const c = (this.big ??= new BigUint64Array(8));
      c[0] = obs.inOctets;
      c[1] = obs.outOctets;
      c[2] = obs.inPackets;
      c[3] = obs.outPackets;
      c[4] = obs.inErrors ?? 0n;
      c[5] = obs.outErrors ?? 0n;
      c[6] = obs.inDiscards ?? 0n;
      c[7] = obs.outDiscards ?? 0n;
    } else {
      this.big = null;
    }
  }

  /** adopt() for counters already in doubles, every one below 2^53 (the engine's safe path). */
  adoptSafe(obs: Observation, nums: ArrayLike<number>, present: number): void {
    const n = this.nums;
    for (let i = 0; i < 8; i++) n[i] = nums[i];
    this.adoptMeta(obs, present);
    this.big = null;
  }

  private adoptMeta(obs: Observation, present: number): void {
    this.ts = obs.ts;
    this.sysUpTime = obs.sysUpTime;
    this.width = obs.width;
    this.speed = obs.speed;
    this.discontinuityTime = obs.discontinuityTime;
    this.present = present;
  }

  /** Fills `obs` with this baseline (reusable scratch: no Observation allocated per sample). */
  readInto(obs: Observation): Observation {
    const p = this.present;
    obs.ts = this.ts;
    obs.sysUpTime = this.sysUpTime;
    obs.width = this.width;
    obs.speed = this.speed;
    obs.discontinuityTime = this.discontinuityTime;
    obs.inOctets = this.counter(0);
    obs.outOctets = this.counter(1);
    obs.inPackets = this.counter(2);
    obs.outPackets = this.counter(3);
    obs.inErrors = p & 1 ? this.counter(4) : undefined;
    obs.outErrors = p & 2 ? this.counter(5) : undefined;
    obs.inDiscards = p & 4 ? this.counter(6) : undefined;
    obs.outDiscards = p & 8 ? this.counter(7) : undefined;
    return obs;
  }

  private counter(i: number): bigint {
    return this.big === null ? numberToU64(this.nums[i]) : this.big[i];
  }
}
