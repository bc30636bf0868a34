// The feed's recent windows in a compact store: per series, a ring of `perSeries` entries whose
// numbers live in typed arrays (16 float64 fields, 8 uint64 counters) and whose interface name is
// one reference, instead of one WindowResult object (with eight bigints) per window. The objects
// took ~560 bytes a window on the heap (5,760 series x 60 windows: +184 MB), so a full feed at
// appliance scale (58,800 series x 60) held ~2 GB that every major GC walks (96,000 series: ~3.3 GB,
// near Node's default heap limit), and every window kept was copied out of the young generation by
// the GC. Here a window costs ~210 bytes in typed arrays outside the GC's heap, and the decoded
// object dies young. Objects are made again only when asked for (all(), the winners of top()).
// The price: a series' ring is allocated whole (perSeries entries) when the series appears, so the
// memory of a full feed is taken from the first minute, not over the first hour.
// Layout: a series is a slot; slots live in chunks of up to CHUNK_SLOTS rings (at most CHUNK_BYTES each, allocated
// as series appear: one typed array per series cost an allocation and an external-memory GC check
// each); the newest window's utilization score and bit/s of every interface are also kept by slot
// number in two flat arrays, so top() is one pass over numbers, not over 57,600 rings.
// Rules (the feed's, window-feed.ts): a window replaces the kept one with the same windowStart only
// when its revision is higher; each series keeps the newest `perSeries` windows by windowStart; a
// window older than everything kept in a full series is refused. all() lists the series in the order
// they were first seen (again after a forget), each in windowStart order.
// The windows are the decoded (validated) form: finite numbers, counters 0..2^64-1; a null number
// is kept as NaN, which a valid window never holds.
import type { WindowResult } from '../../common/contracts/window-result.js';

/** The float64 fields of an entry, in the order kept (offsets into an entry's block). */
const F_START = 0;
const F_END = 1;
const F_IN_BPS = 2;
const F_OUT_BPS = 3;
const F_IN_PPS = 4;
const F_OUT_PPS = 5;
const F_IN_AVG = 6;
const F_OUT_AVG = 7;
const F_SPEED = 8;
const F_IN_UTIL = 9;
const F_OUT_UTIL = 10;
const F_PEAK_IN = 11;
const F_PEAK_OUT = 12;
const F_COVERAGE = 13;
const F_SAMPLES = 14;
const F_REVISION = 15;
const NF = 16;
/** The uint64 counters: inOctets, outOctets, inPackets, outPackets, inErrors, outErrors, inDiscards, outDiscards. */
const NC = 8;

const orNaN = (x: number | null) => (x === null ? NaN : x);
const orNull = (x: number) => (Number.isNaN(x) ? null : x);

/** Rings per chunk, at most; fewer when rings are long (see chunkSlots). */
const CHUNK_SLOTS = 256;
/** Bytes of typed arrays a chunk may take: 256 rings of 60 windows (2.9 MB) fit. */
const CHUNK_BYTES = 4 << 20;

/**
 * Rings per chunk for rings of `perSeries` windows: as many as CHUNK_BYTES holds, 1 to CHUNK_SLOTS.
 * A fixed 256 would allocate 490 MB at the first window when dashboard.recentWindows is 10,000.
 */
export function chunkSlots(perSeries: number): number {
  return Math.max(1, Math.min(CHUNK_SLOTS, Math.floor(CHUNK_BYTES / (perSeries * (NF + NC) * 8))));
}

interface Chunk {
  readonly f: Float64Array;
  readonly c: BigUint64Array;
  readonly names: Array<string | null>;
}

interface Slot {
  readonly id: number;
  readonly deviceId: string;
  /** 0 for the device total (ifIndex null: a real ifIndex is at least 1). */
  readonly ifIndex: number;
  /** Logical entry k of the ring is chunk entry base + ((head + k) mod perSeries). */
  head: number;
  count: number;
  readonly base: number;
  readonly f: Float64Array;
  readonly c: BigUint64Array;
  readonly names: Array<string | null>;
}

export interface TopLists {
  utilization: WindowResult[];
  bps: WindowResult[];
}

export interface SeriesStore {
  /** Returns true when `w` is now kept (new, or a higher revision of a kept window). */
  add(w: WindowResult): boolean;
  all(): WindowResult[];
  /** Drops every series of the device; returns how many. */
  forget(deviceId: string): number;
  size(): { series: number; windows: number };
  /**
   * The n interfaces (device totals left out) whose newest window has the highest utilization
   * (unknown speed left out) and the highest in + out bit/s; what topInterfaces (live-hub.ts) gives
   * over the newest window of every interface, ties by deviceId then ifIndex.
   */
  top(n: number): TopLists;
}

export function createSeriesStore(perSeries: number): SeriesStore {
  if (!Number.isInteger(perSeries) || perSeries < 1) throw new RangeError(`perSeries must be a positive integer (got ${perSeries})`);
  const P = perSeries;
  const K = chunkSlots(P);
  /** Slots by device, then by ifIndex (0: the total): no key string to build and hash per window. */
  const byDevice = new Map<string, Map<number, Slot>>();
  /** Every slot in the order first seen (all()'s order). */
  const order = new Set<Slot>();
  let windows = 0;
  const chunks: Chunk[] = [];
  /** Slot ids of forgotten series, for reuse (their ring space with them). */
  const freeIds: number[] = [];
  let nextId = 0;
  /** By slot id: the slot, and its newest window's utilization score and in + out bit/s (NaN: none, or not an interface). */
  const slots: Array<Slot | undefined> = [];
  let utilScore = new Float64Array(K).fill(NaN);
  let bpsScore = new Float64Array(K).fill(NaN);

  /** The chunk entry of logical entry k. */
  const phys = (s: Slot, k: number) => {
    const p = s.head + k;
    return s.base + (p >= P ? p - P : p);
  };

  function newSlot(deviceId: string, ifIndex: number): Slot {
    const id = freeIds.pop() ?? nextId++;
    const ci = Math.floor(id / K);
    if (ci === chunks.length) chunks.push({ f: new Float64Array(K * P * NF), c: new BigUint64Array(K * P * NC), names: new Array<string | null>(K * P).fill(null) });
    if (id >= utilScore.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2).fill(NaN);
        b.set(a);
        return b;
      };
      utilScore = grow(utilScore);
      bpsScore = grow(bpsScore);
    }
    const { f, c, names } = chunks[ci];
    const s: Slot = { id, deviceId, ifIndex, head: 0, count: 0, base: (id % K) * P, f, c, names };
    slots[id] = s;
    return s;
  }

  /** Notes the newest entry's scores for top() (interfaces only). */
  function noteNewest(s: Slot): void {
    if (s.ifIndex === 0) return;
    const o = phys(s, s.count - 1) * NF;
    const f = s.f;
    const inU = f[o + F_IN_UTIL];
    const outU = f[o + F_OUT_UTIL];
    utilScore[s.id] = Number.isNaN(inU) && Number.isNaN(outU) ? NaN : Math.max(Number.isNaN(inU) ? 0 : inU, Number.isNaN(outU) ? 0 : outU);
    bpsScore[s.id] = f[o + F_OUT_BPS] + f[o + F_IN_BPS];
  }

  function write(s: Slot, p: number, w: WindowResult): void {
    const f = s.f;
    const o = p * NF;
    f[o + F_START] = w.windowStart;
    f[o + F_END] = w.windowEnd;
    f[o + F_IN_BPS] = w.inBps;
    f[o + F_OUT_BPS] = w.outBps;
    f[o + F_IN_PPS] = w.inPps;
    f[o + F_OUT_PPS] = w.outPps;
    f[o + F_IN_AVG] = orNaN(w.inAvgPacketSize);
    f[o + F_OUT_AVG] = orNaN(w.outAvgPacketSize);
    f[o + F_SPEED] = orNaN(w.speed);
    f[o + F_IN_UTIL] = orNaN(w.inUtilization);
    f[o + F_OUT_UTIL] = orNaN(w.outUtilization);
    f[o + F_PEAK_IN] = w.peakInBps;
    f[o + F_PEAK_OUT] = w.peakOutBps;
    f[o + F_COVERAGE] = w.coverage;
    f[o + F_SAMPLES] = w.sampleCount;
    f[o + F_REVISION] = w.revision;
    const c = s.c;
    const q = p * NC;
    c[q] = w.inOctets;
    c[q + 1] = w.outOctets;
    c[q + 2] = w.inPackets;
    c[q + 3] = w.outPackets;
    c[q + 4] = w.inErrors;
    c[q + 5] = w.outErrors;
    c[q + 6] = w.inDiscards;
    c[q + 7] = w.outDiscards;
    s.names[p] = w.ifName;
  }

  function read(s: Slot, p: number): WindowResult {
    const f = s.f;
    const o = p * NF;
    const c = s.c;
    const q = p * NC;
    // The keys in the schema's order, as decodeWindowResult gives them.
    return {
      v: 1, kind: 'window-result', deviceId: s.deviceId, ifIndex: s.ifIndex === 0 ? null : s.ifIndex, ifName: s.names[p],
      windowStart: f[o + F_START], windowEnd: f[o + F_END],
      inOctets: c[q], outOctets: c[q + 1], inPackets: c[q + 2], outPackets: c[q + 3], inErrors: c[q + 4], outErrors: c[q + 5], inDiscards: c[q + 6], outDiscards: c[q + 7],
      inBps: f[o + F_IN_BPS], outBps: f[o + F_OUT_BPS], inPps: f[o + F_IN_PPS], outPps: f[o + F_OUT_PPS],
      inAvgPacketSize: orNull(f[o + F_IN_AVG]), outAvgPacketSize: orNull(f[o + F_OUT_AVG]), speed: orNull(f[o + F_SPEED]),
      inUtilization: orNull(f[o + F_IN_UTIL]), outUtilization: orNull(f[o + F_OUT_UTIL]),
      peakInBps: f[o + F_PEAK_IN], peakOutBps: f[o + F_PEAK_OUT], coverage: f[o + F_COVERAGE], sampleCount: f[o + F_SAMPLES], revision: f[o + F_REVISION],
    };
  }

  /** Copies physical entry `from` over `to` (a late window shifts the entries after it). */
  function move(s: Slot, from: number, to: number): void {
    s.f.copyWithin(to * NF, from * NF, from * NF + NF);
    s.c.copyWithin(to * NC, from * NC, from * NC + NC);
    s.names[to] = s.names[from];
  }

  function slotOf(w: WindowResult): Slot {
    let ifaces = byDevice.get(w.deviceId);
    if (!ifaces) byDevice.set(w.deviceId, (ifaces = new Map<number, Slot>()));
    const ifIndex = w.ifIndex ?? 0;
    let s = ifaces.get(ifIndex);
    if (!s) {
      s = newSlot(w.deviceId, ifIndex);
      ifaces.set(ifIndex, s);
      order.add(s);
    }
    return s;
  }

  function add(w: WindowResult): boolean {
    const s = slotOf(w);
    const start = w.windowStart;
    // Windows nearly always arrive in order, so the insertion point is found from the end.
    let i = s.count;
    while (i > 0 && s.f[phys(s, i - 1) * NF + F_START] > start) i--;
    if (i > 0) {
      const p = phys(s, i - 1);
      if (s.f[p * NF + F_START] === start) {
        if (w.revision <= s.f[p * NF + F_REVISION]) return false;
        write(s, p, w);
        if (i === s.count) noteNewest(s);
        return true;
      }
    }
    if (s.count < P) {
      // Room left: the entries from i on move one later.
      for (let k = s.count; k > i; k--) move(s, phys(s, k - 1), phys(s, k));
      s.count++;
      windows++;
      write(s, phys(s, i), w);
      if (i === s.count - 1) noteNewest(s);
      return true;
    }
    if (i === 0) return false; // older than everything kept
    // Full: the oldest goes (the ring turns by one, its entry becomes the last), then the entries
    // from i on move one later and w takes logical i - 1; in order (i = P) nothing moves.
    s.head = s.head + 1 === P ? 0 : s.head + 1;
    for (let k = P - 1; k >= i; k--) move(s, phys(s, k - 1), phys(s, k));
    write(s, phys(s, i - 1), w);
    if (i === P) noteNewest(s);
    return true;
  }

  /**
   * Keeps in `best` (slot ids, best first) the n first by `score` descending, then deviceId, then
   * ifIndex: an insertion from the end, as keepTop in live-hub.ts does over windows.
   */
  function keepTop(best: number[], score: Float64Array, id: number, n: number): void {
    const x = slots[id]!;
    const v = score[id];
    const before = (k: number) => {
      const v2 = score[best[k]];
      if (v !== v2) return v > v2;
      const y = slots[best[k]]!;
      return x.deviceId < y.deviceId || (x.deviceId === y.deviceId && x.ifIndex < y.ifIndex);
    };
    if (best.length === n && !before(n - 1)) return;
    let i = best.length < n ? best.length : n - 1;
    while (i > 0 && before(i - 1)) {
      best[i] = best[i - 1];
      i--;
    }
    best[i] = id;
  }

  function top(n: number): TopLists {
    const util: number[] = [];
    const bps: number[] = [];
    if (n > 0) {
      // NaN (no interface there, or no utilization) fails every comparison: only a candidate that can
      // enter is inserted, the plain comparison first.
      for (let id = 0; id < nextId; id++) {
        const u = utilScore[id];
        if (util.length < n ? !Number.isNaN(u) : u >= utilScore[util[n - 1]]) keepTop(util, utilScore, id, n);
        const b = bpsScore[id];
        if (bps.length < n ? !Number.isNaN(b) : b >= bpsScore[bps[n - 1]]) keepTop(bps, bpsScore, id, n);
      }
    }
    const newest = (id: number) => {
      const s = slots[id]!;
      return read(s, phys(s, s.count - 1));
    };
    return { utilization: util.map(newest), bps: bps.map(newest) };
  }

  return {
    add,
    all() {
      const out: WindowResult[] = [];
      for (const s of order) for (let k = 0; k < s.count; k++) out.push(read(s, phys(s, k)));
      return out;
    },
    forget(deviceId) {
      const ifaces = byDevice.get(deviceId);
      if (!ifaces) return 0;
      byDevice.delete(deviceId);
      for (const s of ifaces.values()) {
        windows -= s.count;
        order.delete(s);
        slots[s.id] = undefined;
        utilScore[s.id] = NaN;
        bpsScore[s.id] = NaN;
        freeIds.push(s.id);
      }
      return ifaces.size;
    },
    size: () => ({ series: order.size, windows }),
    top,
  };
}
