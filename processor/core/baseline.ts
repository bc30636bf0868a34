// An interface's baseline: the last adopted Observation, kept between polls without keeping the
// record's bigint objects alive. Rules: values are stored exactly (counters are < 2^64 by the
// contract); absent errors/discards stay absent; `readInto` gives computeDelta an Observation.
// Why a BigUint64Array: a bigint held across polls survives young-generation GCs and is copied
// and promoted, 8 per interface per poll (that was most of the GC time at 1e6 samples/s); a
// typed-array slot stores the 64-bit value itself and reading it back makes a short-lived bigint.
import type { Observation } from './counter-delta.js';

export class Baseline {
  ts = 0;
  sysUpTime = 0;
  width: 64 | 32 = 64;
  speed = 0;
  discontinuityTime = 0;
  /** in/out octets, in/out packets, in/out errors, in/out discards. */
  private readonly counters = new BigUint64Array(8);
  /** Bit i set: optional counter 4 + i (errors/discards) was present. */
  private present = 0;

  constructor(obs: Observation) {
    this.adopt(obs);
  }

  adopt(obs: Observation): void {
    this.ts = obs.ts;
    this.sysUpTime = obs.sysUpTime;
    this.width = obs.width;
    this.speed = obs.speed;
    this.discontinuityTime = obs.discontinuityTime;
    const c = this.counters;
    c[0] = obs.inOctets;
    c[1] = obs.outOctets;
    c[2] = obs.inPackets;
    c[3] = obs.outPackets;
    c[4] = obs.inErrors ?? 0n;
    c[5] = obs.outErrors ?? 0n;
    c[6] = obs.inDiscards ?? 0n;
    c[7] = obs.outDiscards ?? 0n;
    this.present =
      (obs.inErrors === undefined ? 0 : 1) |
      (obs.outErrors === undefined ? 0 : 2) |
      (obs.inDiscards === undefined ? 0 : 4) |
      (obs.outDiscards === undefined ? 0 : 8);
  }

  /** Fills `obs` with this baseline (reusable scratch: no Observation allocated per sample). */
  readInto(obs: Observation): Observation {
    const c = this.counters;
    const p = this.present;
    obs.ts = this.ts;
    obs.sysUpTime = this.sysUpTime;
    obs.width = this.width;
    obs.speed = this.speed;
    obs.discontinuityTime = this.discontinuityTime;
    obs.inOctets = c[0];
    obs.outOctets = c[1];
    obs.inPackets = c[2];
    obs.outPackets = c[3];
    obs.inErrors = p & 1 ? c[4] : undefined;
    obs.outErrors = p & 2 ? c[5] : undefined;
    obs.inDiscards = p & 4 ? c[6] : undefined;
    obs.outDiscards = p & 8 ? c[7] : undefined;
    return obs;
  }
}
