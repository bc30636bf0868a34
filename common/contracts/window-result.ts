// WindowResult: the aggregate of one interface (ifIndex set) or one device (ifIndex null) over one
// epoch-aligned event-time window [windowStart, windowEnd). Octet/packet totals are exact integers
// (apportioning splits integer deltas without losing a unit); rates are averages over the part of
// the window covered by data (coverage * window length), so a gap lowers coverage, not the rate.
// (deviceId, ifIndex, windowStart, revision) identifies a record; a higher revision replaces a lower.
import { z } from 'zod';
import { counterString, epochMs, messageCodec, versionField } from './codec.js';
import { deviceIdSchema } from './device-id.js';

export const WINDOW_RESULT_VERSION = 1;

const rate = z.number().nonnegative().nullable();

export const windowResultSchema = z.object({
  v: versionField(WINDOW_RESULT_VERSION),
  kind: z.literal('window-result'),
  deviceId: deviceIdSchema,
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
/** A number as JSON.stringify writes it (non-finite becomes null). */
const jsonNum = (x: number): string => (Number.isFinite(x) ? String(x) : 'null');
const jsonOpt = (x: number | null): string => (x === null ? 'null' : jsonNum(x));

/**
 * The codec's encoding (the same text as encodeJson of { v, kind, ...w } for a window with the
 * schema's keys in the schema's order), written field by field: the processor and the dashboard
 * encode thousands of windows per second, and a generic stringify of a fresh object cost ~3x this.
 */
export function encodeWindowResult(w: WindowResultInput): string {
  return (
    `{"v":${WINDOW_RESULT_VERSION},"kind":"window-result","deviceId":${JSON.stringify(w.deviceId)},"ifIndex":${jsonOpt(w.ifIndex)},` +
    `"ifName":${w.ifName === null ? 'null' : JSON.stringify(w.ifName)},"windowStart":${jsonNum(w.windowStart)},"windowEnd":${jsonNum(w.windowEnd)},` +
    `"inOctets":"${w.inOctets}","outOctets":"${w.outOctets}","inPackets":"${w.inPackets}","outPackets":"${w.outPackets}",` +
    `"inErrors":"${w.inErrors}","outErrors":"${w.outErrors}","inDiscards":"${w.inDiscards}","outDiscards":"${w.outDiscards}",` +
    `"inBps":${jsonNum(w.inBps)},"outBps":${jsonNum(w.outBps)},"inPps":${jsonNum(w.inPps)},"outPps":${jsonNum(w.outPps)},` +
    `"inAvgPacketSize":${jsonOpt(w.inAvgPacketSize)},"outAvgPacketSize":${jsonOpt(w.outAvgPacketSize)},"speed":${jsonOpt(w.speed)},` +
    `"inUtilization":${jsonOpt(w.inUtilization)},"outUtilization":${jsonOpt(w.outUtilization)},"peakInBps":${jsonNum(w.peakInBps)},"peakOutBps":${jsonNum(w.peakOutBps)},` +
    `"coverage":${jsonNum(w.coverage)},"sampleCount":${jsonNum(w.sampleCount)},"revision":${jsonNum(w.revision)}}`
  );
}
export const decodeWindowResult = windowResultCodec.decode;

/** The identity of a window's series, used for dedup and as Kafka/Influx key parts. */
export function windowSeriesKey(w: Pick<WindowResult, 'deviceId' | 'ifIndex'>): string {
  return w.ifIndex === null ? w.deviceId : `${w.deviceId}/${w.ifIndex}`;
}
