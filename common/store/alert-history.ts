// Alert history in InfluxDB (docs/storage.md): measurement alert_event, one point per AlertEvent,
// tags {rule, device, if_index ("device" for the rollup), transition, severity}, time = window start
// plus a per-transition offset in ms (so two transitions of one window keep a defined order);
// a replayed event overwrites its own point (idempotent, keyed by the event id's parts).
// Measurement alert_delivery: one point per notification and channel with its outcome (delivered or
// failed, attempts, last error), written by the notifier; tags {channel, status, rule, device, event}.
import type { IPoint } from 'influx';
import type { NetmonConfig } from '../config/schema.js';
import { ALERT_TRANSITIONS, type AlertEventInput, type AlertTransition } from '../contracts/alert-event.js';
import { NetmonError, ErrorCodes } from '../errors.js';
import { createInfluxClient, deviceFromTag, deviceTag, ensureRetentionPolicies, influxString, isPermanentHttpStatus } from './influx.js';

export const MEASUREMENT_ALERT_EVENT = 'alert_event';
export const MEASUREMENT_ALERT_DELIVERY = 'alert_delivery';

export interface AlertHistoryRow {
  id: string;
  ruleId: string;
  deviceId: string;
  ifIndex: number | null;
  ifName: string | null;
  transition: AlertTransition;
  state: string;
  severity: string;
  metric: string;
  value: number | null;
  threshold: number;
  windowStart: number;
  firingSince: number | null;
  flapping: boolean;
  message: string;
}

export interface DeliveryRecord {
  eventId: string;
  ruleId: string;
  deviceId: string;
  channel: string;
  status: 'delivered' | 'failed';
  attempts: number;
  error: string | null;
  /** Wall-clock time of the outcome (ms). */
  at: number;
}

export interface AlertHistoryStore {
  ensureDatabase(): Promise<void>;
  writeEvents(events: readonly AlertEventInput[]): Promise<void>;
  writeDeliveries(records: readonly DeliveryRecord[]): Promise<void>;
  /** Events with window start in [fromMs, toMs), newest first, at most `limit`. */
  history(q: { fromMs: number; toMs: number; limit: number; ruleId?: string; deviceId?: string }): Promise<AlertHistoryRow[]>;
  /** The newest event of every (rule, device, interface). */
  latest(): Promise<AlertHistoryRow[]>;
  deliveries(q: { fromMs: number; toMs: number; limit: number; status?: 'delivered' | 'failed' }): Promise<DeliveryRecord[]>;
  /** Event ids with a recorded delivery outcome on `channel` since `fromMs` (the notifier's dedup after a restart). */
  recordedDeliveries(fromMs: number): Promise<Set<string>>;
}

const TRANSITION_OFFSET = new Map<AlertTransition, number>([['pending', 0], ['firing', 1], ['repeat', 2], ['flapping', 3], ['cancelled', 4], ['resolved', 5]]);

export function eventToPoint(e: AlertEventInput): IPoint {
  const transition = e.transition ?? (e.state === 'resolved' ? 'resolved' : e.state === 'ok' ? 'cancelled' : e.state);
  const fields: Record<string, unknown> = {
    id: e.id ?? `${e.ruleId}:${e.deviceId}:${e.ifIndex ?? 'device'}:${transition}:${e.windowStart}`,
    state: e.state,
    metric: e.metric,
    threshold: e.threshold,
    window_start_ms: e.windowStart,
    message: e.message,
    flapping: e.flapping ?? false,
  };
  if (e.value !== null) fields.value = e.value;
  if (e.clearThreshold !== undefined) fields.clear_threshold = e.clearThreshold;
  if (e.windowRevision !== undefined) fields.window_revision = e.windowRevision;
  if (e.coverage !== undefined) fields.coverage = e.coverage;
  if (e.firingSince !== undefined && e.firingSince !== null) fields.firing_since_ms = e.firingSince;
  if (e.ifName) fields.if_name = e.ifName;
  return {
    measurement: MEASUREMENT_ALERT_EVENT,
    tags: { rule: e.ruleId, device: deviceTag(e.deviceId), if_index: e.ifIndex === null ? 'device' : String(e.ifIndex), transition, severity: e.severity },
    fields,
    timestamp: new Date(e.windowStart + (TRANSITION_OFFSET.get(transition) ?? 0)),
  };
}

type Row = Record<string, unknown> & { time: Date };
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

function rowToHistory(r: Row): AlertHistoryRow {
  const t = str(r.transition);
  return {
    id: str(r.id),
    ruleId: str(r.rule),
    deviceId: deviceFromTag(str(r.device)),
    ifIndex: r.if_index === 'device' || r.if_index === undefined ? null : Number(r.if_index),
    ifName: typeof r.if_name === 'string' ? r.if_name : null,
    transition: (ALERT_TRANSITIONS as readonly string[]).includes(t) ? (t as AlertTransition) : 'firing',
    state: str(r.state),
    severity: str(r.severity),
    metric: str(r.metric),
    value: num(r.value),
    threshold: num(r.threshold) ?? 0,
    windowStart: num(r.window_start_ms) ?? r.time.getTime(),
    firingSince: num(r.firing_since_ms),
    flapping: r.flapping === true,
    message: str(r.message),
  };
}

export function createAlertHistoryStore(cfg: NetmonConfig['influx']): AlertHistoryStore {
  const influx = createInfluxClient(cfg);
  const wrap = (what: string, err: unknown) => new NetmonError(ErrorCodes.INFLUX, `InfluxDB alert ${what} failed at ${cfg.url}: ${(err as Error).message}`, { cause: err, retriable: true });
  // A write InfluxDB refuses for good (a 4xx about the points, influx.ts isPermanentHttpStatus) is SINK_REJECTED: retrying cannot help.
  const wrapWrite = (what: string, err: unknown) => {
    const status = (err as { res?: { statusCode?: number } }).res?.statusCode;
    if (status === undefined || !isPermanentHttpStatus(status)) return wrap(what, err);
    return new NetmonError(ErrorCodes.SINK_REJECTED, `InfluxDB refused the alert ${what} (HTTP ${status}): ${(err as Error).message}`, { cause: err, retriable: false });
  };
  const q = async (text: string): Promise<Row[]> => {
    try {
      return [...(await influx.query<Row>(text, { precision: 'ms' }))];
    } catch (err) {
      throw wrap('query', err);
    }
  };
  // InfluxQL literals escape backslashes too (the influx package's stringLit does not): device ids may hold them.
  const lit = influxString;

  return {
    async ensureDatabase() {
      try {
        // The same policies as the window store, whichever starts first (else early events are unread).
        await ensureRetentionPolicies(influx, cfg);
      } catch (err) {
        throw wrap('database setup', err);
      }
    },
    async writeEvents(events) {
      if (events.length === 0) return;
      try {
        await influx.writePoints(events.map(eventToPoint), { precision: 'ms' });
      } catch (err) {
        throw wrapWrite('history write', err);
      }
    },
    async writeDeliveries(records) {
      if (records.length === 0) return;
      const points: IPoint[] = records.map((d) => ({
        measurement: MEASUREMENT_ALERT_DELIVERY,
        tags: { channel: d.channel, status: d.status, rule: d.ruleId, device: deviceTag(d.deviceId), event: d.eventId },
        fields: { attempts: d.attempts, error: d.error ?? '' },
        timestamp: new Date(d.at),
      }));
      try {
        await influx.writePoints(points, { precision: 'ms' });
      } catch (err) {
        throw wrapWrite('delivery write', err);
      }
    },
    async history({ fromMs, toMs, limit, ruleId, deviceId }) {
      const where = [`time >= ${Math.floor(fromMs)}ms`, `time < ${Math.floor(toMs)}ms`];
      if (ruleId) where.push(`"rule" = ${lit(ruleId)}`);
      if (deviceId) where.push(`"device" = ${lit(deviceTag(deviceId))}`);
      const rows = await q(`SELECT * FROM ${MEASUREMENT_ALERT_EVENT} WHERE ${where.join(' AND ')} ORDER BY time DESC LIMIT ${Math.max(1, Math.floor(limit))}`);
      return rows.map(rowToHistory);
    },
    async latest() {
      // One selector plus the other fields returns the fields of that (newest) point per group.
      const rows = await q(`SELECT last("window_start_ms") AS "window_start_ms", "id", "state", "metric", "value", "threshold", "message", "flapping", "firing_since_ms", "if_name", "transition", "severity" FROM ${MEASUREMENT_ALERT_EVENT} GROUP BY "rule", "device", "if_index"`);
      return rows.map(rowToHistory);
    },
    async deliveries({ fromMs, toMs, limit, status }) {
      const where = [`time >= ${Math.floor(fromMs)}ms`, `time < ${Math.floor(toMs)}ms`];
      if (status) where.push(`"status" = ${lit(status)}`);
      const rows = await q(`SELECT * FROM ${MEASUREMENT_ALERT_DELIVERY} WHERE ${where.join(' AND ')} ORDER BY time DESC LIMIT ${Math.max(1, Math.floor(limit))}`);
      return rows.map((r) => ({
        eventId: str(r.event), ruleId: str(r.rule), deviceId: deviceFromTag(str(r.device)), channel: str(r.channel),
        status: r.status === 'failed' ? 'failed' : 'delivered', attempts: num(r.attempts) ?? 0, error: str(r.error) || null, at: r.time.getTime(),
      }));
    },
    async recordedDeliveries(fromMs) {
      const rows = await q(`SELECT "attempts", "event", "channel" FROM ${MEASUREMENT_ALERT_DELIVERY} WHERE time >= ${Math.floor(fromMs)}ms`);
      return new Set(rows.map((r) => `${str(r.event)}|${str(r.channel)}`));
    },
  };
}
