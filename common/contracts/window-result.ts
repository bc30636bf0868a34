// WindowResult: the aggregate of one interface (ifIndex set) or one device (ifIndex null) over one
// epoch-aligned event-time window [windowStart, windowEnd). Octet/packet totals are exact integers
// (apportioning splits integer deltas without losing a unit); rates are averages over the part of
// the window covered by data (coverage * window length), so a gap lowers coverage, not the rate.
// (deviceId, ifIndex, windowStart, revision) identifies a record; a higher revision replaces a lower.
import { z } from 'zod';
import { counterString, epochMs, messageCodec, versionField } from './codec.js';

export const WINDOW_RESULT_VERSION = 1;

const rate = z.number().nonnegative().nullable();

export const windowResultSchema = z.object({
  v: versionField(WINDOW_RESULT_VERSION),
  kind: z.literal('window-result'),
  deviceId: z.string().min(1).max(128),
  /** null for the device rollup (sum of the device's interfaces). */
  ifIndex: z.number().int().min(1).nullable(),
  ifName: z.string().max(256).nullable(),
  windowStart: epochMs,
  windowEnd: epochMs,
  inOctets: counterString,
  outOctets: counterString,
  inPackets: counterString,
  outPackets: counterString,
  inErrors: counterString,
  outErrors: counterString,
  inDiscards: counterString,
  outDiscards: counterString,
  /** Average bit/s and packet/s over the covered part of the window. */
  inBps: z.number().nonnegative(),
  outBps: z.number().nonnegative(),
  inPps: z.number().nonnegative(),
  outPps: z.number().nonnegative(),
  /** octets / packets; null when no packets. */
  inAvgPacketSize: rate,
  outAvgPacketSize: rate,
  /** Link speed (bit/s) used for utilization; null when unknown. */
  speed: rate,
  /** Utilization % of link speed; null when the speed is unknown. */
  inUtilization: rate,
  outUtilization: rate,
  /** Highest per-interval rate (bit/s) seen inside the window. */
  peakInBps: z.number().nonnegative(),
  peakOutBps: z.number().nonnegative(),
  /** Fraction [0, 1] of the window covered by data. */
  coverage: z.number().min(0).max(1),
  /** Samples or deltas that contributed. */
  sampleCount: z.number().int().nonnegative(),
  revision: z.number().int().nonnegative(),
});

export type WindowResult = z.output<typeof windowResultSchema>;
export type WindowResultInput = Omit<WindowResult, 'v' | 'kind'>;

const windowResultCodec = messageCodec(windowResultSchema, WINDOW_RESULT_VERSION, 'window-result', 'WindowResult');
/**
 * The codec's encoding, without JSON.stringify's per-key replacer: a window is flat, so its bigints
 * are converted in one pass (the processor and the dashboard encode thousands per second).
 */
export function encodeWindowResult(w: WindowResultInput): string {
  const o: Record<string, unknown> = { v: WINDOW_RESULT_VERSION, kind: 'window-result' };
  for (const k of Object.keys(w)) {
    const x = (w as Record<string, unknown>)[k];
    o[k] = typeof x === 'bigint' ? x.toString() : x;
  }
  return JSON.stringify(o);
}
export const decodeWindowResult = windowResultCodec.decode;

/** The identity of a window's series, used for dedup and as Kafka/Influx key parts. */
export function windowSeriesKey(w: Pick<WindowResult, 'deviceId' | 'ifIndex'>): string {
  return w.ifIndex === null ? w.deviceId : `${w.deviceId}/${w.ifIndex}`;
}
