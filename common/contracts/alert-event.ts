// AlertEvent: a threshold rule changed state for one scope (device, optionally an interface).
import { z } from 'zod';
import { epochMs, messageCodec, versionField } from './codec.js';
import { deviceIdSchema } from './device-id.js';

export const ALERT_EVENT_VERSION = 1;
export const ALERT_STATES = ['pending', 'firing', 'resolved', 'ok'] as const;
/** What happened: pending (breaching, not yet for N windows), firing, repeat (still firing after the repeat interval), flapping (held firing), resolved, cancelled (pending that cleared). */
export const ALERT_TRANSITIONS = ['pending', 'firing', 'repeat', 'flapping', 'resolved', 'cancelled'] as const;
export type AlertTransition = (typeof ALERT_TRANSITIONS)[number];
export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;

export const alertEventSchema = z.object({
  v: versionField(ALERT_EVENT_VERSION),
  kind: z.literal('alert-event'),
  ruleId: z.string().min(1).max(128),
  deviceId: deviceIdSchema,
  ifIndex: z.number().int().min(1).nullable(),
  state: z.enum(ALERT_STATES),
  severity: z.enum(ALERT_SEVERITIES),
  metric: z.string().min(1).max(64),
  value: z.number().nullable(),
  threshold: z.number(),
  /** Window (event time) whose evaluation caused the transition. */
  windowStart: epochMs,
  ts: epochMs,
  message: z.string().max(2048),
  // Identity and context of the transition. Optional on the wire so v1 events from
  // before stay readable; the evaluator always sets them.
  /** Deterministic: rule, scope, transition, window start. Consumers drop duplicates (replays) by it. */
  id: z.string().min(1).max(512).optional(),
  transition: z.enum(ALERT_TRANSITIONS).optional(),
  ifName: z.string().max(256).nullable().optional(),
  clearThreshold: z.number().optional(),
  comparator: z.string().max(2).optional(),
  /** Window start of the firing transition of this episode (null when not firing); acknowledgements refer to it. */
  firingSince: epochMs.nullable().optional(),
  flapping: z.boolean().optional(),
  windowRevision: z.number().int().nonnegative().optional(),
  coverage: z.number().min(0).max(1).optional(),
  /** Channel names to notify (from the rule). */
  channels: z.array(z.string().min(1).max(64)).max(32).optional(),
});

export type AlertEvent = z.output<typeof alertEventSchema>;
export type AlertEventInput = Omit<AlertEvent, 'v' | 'kind'>;

const alertEventCodec = messageCodec(alertEventSchema, ALERT_EVENT_VERSION, 'alert-event', 'AlertEvent');
export const encodeAlertEvent = alertEventCodec.encode;
export const decodeAlertEvent = alertEventCodec.decode;
