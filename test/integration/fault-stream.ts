// The fault suite's record streams (pure, no I/O): a deterministic set of devices polled at fixed
// event times, with the cases the counter math must get right (a 32-bit wrap, a reboot) and a pcap
// source whose buckets arrive late (so windows get revisions), plus the poison records of the
// faults. Every record names its partition and the moment (event time) it is due to be sent; a
// record that must be rejected says so, and how its dead letter is recognised.
// Rules: the same options give the same records, byte for byte; only `now`-relative poison (far
// future) depends on the clock passed in.
import { encodeCounterSample, encodeTrafficDelta, type CounterSampleInput, type InterfaceCounters, type TrafficDeltaInput } from '../../common/contracts/index.js';

/** How a rejected record's dead letter is recognised. */
export interface Rejection {
  /** The reason must match (default: any non-empty reason). */
  reason?: RegExp;
  /** Rejected as a window by a sink rather than as a record: a dead letter naming this device (key or value) will do. */
  device?: string;
}

export interface StreamRecord {
  partition: number;
  key: string;
  value: string;
  /** Event time at which the record is due to be sent (the pacing clock). */
  at: number;
  /** What the record is, for messages. */
  label: string;
  /** Set when the record must end in the dead-letter topic, not in a window. */
  reject?: Rejection;
}

export interface StreamOptions {
  /** Event time of poll 0 (aligned to a window start). */
  t0: number;
  polls: number;
  pollMs: number;
  /** How long after its end a pcap bucket is sent (late data: revisions). */
  pcapLagMs: number;
}

/** Partitions of the samples topic in the suite: 0-4 carry the base devices, 5-7 are kept for single-purpose sources. */
export const PARTITIONS = 8;
export const BASE_DEVICES = 8;
const IFACES = 4;
const PCAP_BUCKET_MS = 5_000;

export const deviceName = (d: number) => `f-${String(d).padStart(2, '0')}`;

interface Counters {
  in: bigint;
  out: bigint;
  inP: bigint;
  outP: bigint;
}

/** One device's polls. `ifaces` interfaces, on `partition`; device 3 is 32-bit near the wrap, device 5 reboots at poll 9. */
export function devicePolls(o: StreamOptions, d: number, deviceId: string, partition: number, ifaces = IFACES): StreamRecord[] {
  const out: StreamRecord[] = [];
  const counters: Counters[] = Array.from({ length: ifaces }, () => ({ in: 0n, out: 0n, inP: 0n, outP: 0n }));
  const width: 32 | 64 = d === 3 ? 32 : 64;
  // 32-bit counters start 20,000 short of the wrap, so they wrap within the first polls.
  const wrap = (v: bigint) => (width === 32 ? (v + (1n << 32n) - 20_000n) % (1n << 32n) : v);
  for (let k = 0; k < o.polls; k++) {
    const ts = o.t0 + k * o.pollMs + ((d * 797 + k * 331) % 900);
    const rebooted = d === 5 && k >= 9;
    if (d === 5 && k === 9) for (const c of counters) Object.assign(c, { in: 0n, out: 0n, inP: 0n, outP: 0n });
    const sysUpTime = rebooted ? (k - 8) * (o.pollMs / 10) : 900_000 + k * (o.pollMs / 10);
    const interfaces: InterfaceCounters[] = counters.map((c, i) => {
      const rate = 1_000 + ((d * 7 + i * 13 + k * 3) % 50) * 400;
      c.in += BigInt(rate * (o.pollMs / 1000));
      c.out += BigInt(Math.round(rate * 0.4 * (o.pollMs / 1000)));
      c.inP += BigInt(Math.ceil(rate / 100));
      c.outP += BigInt(Math.ceil(rate / 250));
      return {
        ifIndex: i + 1, name: `ge-0/0/${i}`, alias: '', speed: 1e9, operStatus: 'up', width,
        inOctets: wrap(c.in), outOctets: wrap(c.out), inPackets: wrap(c.inP), outPackets: wrap(c.outP), discontinuityTime: 0,
      };
    });
    const s: CounterSampleInput = { deviceId, source: 'snmp', ts, sysUpTime, interfaces };
    out.push({ partition, key: deviceId, value: encodeCounterSample(s), at: ts, label: `${deviceId} poll ${k}` });
  }
  return out;
}

/** A pcap import over the stream's span on partition 0, 5 s buckets sent `pcapLagMs` after their end; the last one final. */
export function pcapBuckets(o: StreamOptions, deviceId = 'f-cap', partition = 0): StreamRecord[] {
  const n = Math.floor(((o.polls - 1) * o.pollMs) / PCAP_BUCKET_MS);
  return Array.from({ length: n }, (_, s) => {
    const d: TrafficDeltaInput = {
      deviceId, source: 'pcap', ifIndex: 1, ifName: 'pcap', start: o.t0 + s * PCAP_BUCKET_MS, end: o.t0 + (s + 1) * PCAP_BUCKET_MS,
      inOctets: BigInt(50_000 + s * 1_700), outOctets: BigInt(s * 300), inPackets: BigInt(40 + (s % 7)), outPackets: BigInt(s % 3), final: s === n - 1,
    };
    return { partition, key: deviceId, value: encodeTrafficDelta(d), at: d.end + o.pcapLagMs, label: `${deviceId} bucket ${s}` };
  });
}

/** The base stream: 8 devices x 4 interfaces on partitions 0-4 and a late pcap source on each of `pcapPartitions`. */
export function baseStream(o: StreamOptions, pcapPartitions: readonly number[] = [0]): StreamRecord[] {
  const recs: StreamRecord[] = [];
  for (let d = 0; d < BASE_DEVICES; d++) recs.push(...devicePolls(o, d, deviceName(d), d % 5));
  for (const p of pcapPartitions) recs.push(...pcapBuckets(o, p === 0 ? 'f-cap' : `f-cap-${p}`, p));
  return recs;
}

/** Records in the order they are sent: by due time, ties by partition and label (stable). */
export function sendOrder(recs: StreamRecord[]): StreamRecord[] {
  return [...recs].sort((a, b) => a.at - b.at || a.partition - b.partition || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

/**
 * A collector clock step: polls `from`..`to` of the given devices carry event times `stepMs`
 * ahead of `now` (the processor's clock), so they must be dead-lettered as `future`; they are still
 * sent when their true poll time is due, and the polls after the step are as before.
 */
export function clockStep(recs: StreamRecord[], deviceIds: string[], from: number, to: number, now: number, stepMs: number): StreamRecord[] {
  return recs.map((r) => {
    const m = /^(.*) poll (\d+)$/.exec(r.label);
    if (!m || !deviceIds.includes(m[1]) || Number(m[2]) < from || Number(m[2]) > to) return r;
    const s = JSON.parse(r.value) as { ts: number };
    const ts = now + stepMs + (Number(m[2]) - from) * 1000;
    return { ...r, value: r.value.replace(`"ts":${s.ts},`, `"ts":${ts},`), label: `${r.label} (clock stepped to ${new Date(ts).toISOString()})`, reject: { reason: /future/i } };
  });
}

/** A TrafficDelta record (for the poison cases). */
function delta(partition: number, at: number, label: string, d: TrafficDeltaInput, reject?: Rejection): StreamRecord {
  return { partition, key: d.deviceId, value: encodeTrafficDelta(d), at, label, reject };
}

/**
 * The poison records of fault e, due at event time `at` (mid-stream), on the base partitions
 * unless they need a partition of their own. `now` is the processor's clock for the far-future
 * sample. Valid records with awkward device ids (a trailing backslash; spaces, commas and equals
 * signs) are not poison: they must come out as windows, like any other device.
 */
export function poisonRecords(o: StreamOptions, at: number, now: number): StreamRecord[] {
  const day = 86_400_000;
  const sample = (deviceId: string, ts: number) =>
    encodeCounterSample({ deviceId, source: 'snmp', ts, sysUpTime: 1000, interfaces: [{ ifIndex: 1, name: 'x', alias: '', speed: 1e9, operStatus: 'up', width: 64, inOctets: 1n, outOctets: 1n, inPackets: 1n, outPackets: 1n, discontinuityTime: 0 }] });
  const oldStart = Math.floor((now - 60 * day) / 60_000) * 60_000;
  const farStart = Date.UTC(2300, 0, 1);
  const bucket = (deviceId: string, start: number, i: number, final: boolean): TrafficDeltaInput => ({
    deviceId, source: 'pcap', ifIndex: 1, ifName: 'pcap', start: start + i * 20_000, end: start + (i + 1) * 20_000, inOctets: 1000n, outOctets: 10n, inPackets: 10n, outPackets: 1n, final,
  });
  return [
    { partition: 1, key: 'k'.repeat(200 * 1024), value: '{"v":1,"kind":"counter-sample"}', at, label: '200 KB key (invalid record)', reject: {} },
    { partition: 2, key: deviceName(2), value: `{"v":1,"kind":"${'x'.repeat(1_000_000)}"}`, at: at + 1, label: '1 MB kind', reject: {} },
    delta(3, at + 2, 'TrafficDelta spanning 0..8.64e15 ms', { deviceId: 'f-span', source: 'pcap', ifIndex: 1, ifName: 'pcap', start: 0, end: 8.64e15, inOctets: 1n, outOctets: 1n, inPackets: 1n, outPackets: 1n, final: false }, {}),
    { partition: 2, key: deviceName(2), value: sample(deviceName(2), now + 3650 * day), at: at + 3, label: 'sample 10 years ahead', reject: { reason: /future/i } },
    { partition: 1, key: 'f-bad\nid', value: sample('f-bad\nid', o.t0 + 1000), at: at + 4, label: 'device id with a newline', reject: {} },
    { partition: 0, key: deviceName(0), value: '{"v":1,"kind":"counter-sample","deviceId":', at: at + 5, label: 'invalid JSON', reject: {} },
    // Partition 5 carries nothing else, so these reach the window sinks instead of being late on a busy partition.
    ...[0, 1, 2].map((i) => delta(5, at + 6 + i, `window older than the raw retention (${i})`, bucket('f-old-import', oldStart, i, i === 2), { device: 'f-old-import' })),
    ...[0, 1].map((i) => delta(5, at + 9 + i, `window outside InfluxDB's time range (${i})`, bucket('f-far-import', farStart, i, i === 1), { device: 'f-far-import' })),
  ];
}

/** Valid devices whose ids need escaping: a trailing backslash; spaces, a comma and an equals sign. */
export const AWKWARD_IDS = ['f-edge\\', 'f-core sw 1,site=lab'];

/** A device with `ifaces` interfaces on its own partition, all its polls due at once at `at` (a collector's backlog: a huge batch). */
export function hugeBatch(o: StreamOptions, at: number, ifaces: number, partition = 6): StreamRecord[] {
  return devicePolls(o, 9, 'f-bulk', partition, ifaces).map((r) => ({ ...r, at, label: `${r.label} (burst)` }));
}
