// TrafficDelta: traffic already counted as a delta over [start, end) (pcap import, 1-second buckets).
// No counter math applies. `final: true` marks the end of an import: its windows may close.
import { z } from 'zod';
import { counterString, epochMs, messageCodec, versionField } from './codec.js';
import { deviceIdSchema } from './device-id.js';

export const TRAFFIC_DELTA_VERSION = 1;

export const trafficDeltaSchema = z
  .object({
    v: versionField(TRAFFIC_DELTA_VERSION),
    kind: z.literal('traffic-delta'),
    deviceId: deviceIdSchema,
    source: z.literal('pcap'),
    ifIndex: z.number().int().min(1).max(2147483647),
    ifName: z.string().max(256),
    start: epochMs,
    end: epochMs,
    inOctets: counterString,
    outOctets: counterString,
    inPackets: counterString,
    outPackets: counterString,
    final: z.boolean().default(false),
  })
  .refine((d) => d.end > d.start, { message: 'end must be after start', path: ['end'] });

export type TrafficDelta = z.output<typeof trafficDeltaSchema>;
export type TrafficDeltaInput = Omit<TrafficDelta, 'v' | 'kind'>;

const trafficDeltaCodec = messageCodec(trafficDeltaSchema, TRAFFIC_DELTA_VERSION, 'traffic-delta', 'TrafficDelta');
export const encodeTrafficDelta = trafficDeltaCodec.encode;
export const decodeTrafficDelta = trafficDeltaCodec.decode;
