// AlertEvent: a threshold rule changed state for one scope (device, optionally an interface).
import { z } from 'zod';
import { epochMs, messageCodec, versionField } from './codec.js';

export const ALERT_EVENT_VERSION = 1;
export const ALERT_STATES = ['pending', 'firing', 'resolved'] as const;
export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;

export const alertEventSchema = z.object({
  v: versionField(ALERT_EVENT_VERSION),
  kind: z.literal('alert-event'),
  ruleId: z.string().min(1).max(128),
  deviceId: z.string().min(1).max(128),
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
});

export type AlertEvent = z.output<typeof alertEventSchema>;
export type AlertEventInput = Omit<AlertEvent, 'v' | 'kind'>;

const alertEventCodec = messageCodec(alertEventSchema, ALERT_EVENT_VERSION, 'alert-event', 'AlertEvent');
export const encodeAlertEvent = alertEventCodec.encode;
export const decodeAlertEvent = alertEventCodec.decode;
