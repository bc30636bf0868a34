// The wire contracts, in one import. Every boundary decodes with these and nothing else.
export * from './codec.js';
export * from './counter-sample.js';
export * from './traffic-delta.js';
export * from './window-result.js';
export * from './alert-event.js';
export * from './config-change.js';
export * from './device-status.js';
export * from './device-id.js';

import { DecodeError } from '../errors.js';
import { decodeWith } from './codec.js';
import { counterSampleSchema, type CounterSample } from './counter-sample.js';
import { trafficDeltaSchema, type TrafficDelta } from './traffic-delta.js';
import { z } from 'zod';

export type SampleRecord = CounterSample | TrafficDelta;
export const SAMPLE_KINDS = ['counter-sample', 'traffic-delta'] as const;

const sampleRecordSchema = z.unknown().transform((raw, ctx): SampleRecord => {
  const kind = raw && typeof raw === 'object' ? (raw as { kind?: unknown }).kind : undefined;
  const schema = kind === 'counter-sample' ? counterSampleSchema : kind === 'traffic-delta' ? trafficDeltaSchema : null;
  if (!schema) {
    ctx.addIssue({ code: 'custom', path: ['kind'], message: `expected one of ${SAMPLE_KINDS.join(', ')}, got ${JSON.stringify(kind)}` });
    return z.NEVER;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }
  return parsed.data;
});

/** Decodes a record of the samples topic: a CounterSample or a TrafficDelta. */
export function decodeSampleRecord(input: string | Uint8Array | null | undefined): SampleRecord {
  try {
    return decodeWith(sampleRecordSchema, input, 'sample record');
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError('(message)', (err as Error).message, err);
  }
}
