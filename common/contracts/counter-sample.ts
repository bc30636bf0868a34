// CounterSample: one per device poll, as the SNMP collector read it. Raw counters, no math:
// the processor turns consecutive samples into deltas. Octet and packet counters are `width` bits
// wide (64 for ifXTable HC counters, 32 for the ifTable fallback); errors and discards are always
// Counter32 (ifTable has no 64-bit form of them).
import { z } from 'zod';
import { counterString, epochMs, messageCodec, versionField } from './codec.js';
import { deviceIdSchema } from './device-id.js';

export const COUNTER_SAMPLE_VERSION = 1;
export const OPER_STATUSES = ['up', 'down', 'testing', 'unknown', 'dormant', 'notPresent', 'lowerLayerDown'] as const;
export type OperStatus = (typeof OPER_STATUSES)[number];

const optionalCounter = counterString.optional();

export const interfaceCountersSchema = z.object({
  /** The interface's stable index: the agent's ifIndex, unless the agent renumbered it (see agentIfIndex). */
  ifIndex: z.number().int().min(1).max(2147483647),
  /** The agent's current ifIndex when it differs from the stable ifIndex (renumbered). */
  agentIfIndex: z.number().int().min(1).max(2147483647).optional(),
  name: z.string().max(256),
  alias: z.string().max(256).default(''),
  /** Link speed in bit/s (ifHighSpeed * 1e6, or ifSpeed); 0 when the device does not know. */
  speed: z.number().nonnegative().max(1e15),
  operStatus: z.enum(OPER_STATUSES).default('unknown'),
  width: z.union([z.literal(64), z.literal(32)], { error: 'expected 64 or 32' }),
  /** Event time of this interface's counters when it differs from the sample's `ts` (multi-request polls). */
  ts: epochMs.optional(),
  inOctets: counterString,
  outOctets: counterString,
  /** Unicast + multicast + broadcast packets. */
  inPackets: counterString,
  outPackets: counterString,
  inErrors: optionalCounter,
  outErrors: optionalCounter,
  inDiscards: optionalCounter,
  outDiscards: optionalCounter,
  /** ifCounterDiscontinuityTime (sysUpTime centiseconds at the last discontinuity); 0 when unknown. */
  discontinuityTime: z.number().int().nonnegative().max(4294967295).default(0),
});

export const counterSampleSchema = z.object({
  v: versionField(COUNTER_SAMPLE_VERSION),
  kind: z.literal('counter-sample'),
  deviceId: deviceIdSchema,
  source: z.literal('snmp'),
  /** Event time (ms): when the device's response arrived, collector clock. */
  ts: epochMs,
  /** sysUpTime in centiseconds (TimeTicks, wraps at 2^32). */
  sysUpTime: z.number().int().nonnegative().max(4294967295),
  interfaces: z.array(interfaceCountersSchema).max(100000),
});

export type InterfaceCounters = z.output<typeof interfaceCountersSchema>;
export type CounterSample = z.output<typeof counterSampleSchema>;
/** What a producer fills in; `v` and `kind` are added by the encoder. */
export type CounterSampleInput = Omit<CounterSample, 'v' | 'kind'>;

const counterSampleCodec = messageCodec(counterSampleSchema, COUNTER_SAMPLE_VERSION, 'counter-sample', 'CounterSample');
export const encodeCounterSample = counterSampleCodec.encode;
export const decodeCounterSample = counterSampleCodec.decode;
