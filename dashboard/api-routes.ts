// The dashboard's REST API: devices (never their credentials), stored windows from InfluxDB, the
// feed's recent windows, health and Prometheus metrics. Rules: every input is checked by a JSON
// schema (or a named cross-field check), so bad input gets a 400 naming the field; windows leave as
// the WindowResult wire form (counters as decimal strings), serialized by the contract's encoder;
// a missing or failing store is a 503 that says so, never a 500 or an empty list.
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../common/clock.js';
import { DEVICE_ID_PATTERN, type DeviceConfig } from '../common/config/schema.js';
import { encodeWindowResult, type WindowResultInput } from '../common/contracts/window-result.js';
import { encodeAlertEvent } from '../common/contracts/alert-event.js';
import { encodeDeviceStatus } from '../common/contracts/device-status.js';
import { ErrorCodes, NetmonError, errorMessage } from '../common/errors.js';
import { createRateLimitedLog, type Logger } from '../common/log.js';
import { Counter, type Registry } from '../common/metrics.js';
import { healthOf, healthReportSchema } from '../common/health.js';
import type { WindowStore } from '../common/store/influx.js';
import type { WindowFeed } from './feed/window-feed.js';
import { invalid } from './http-errors.js';
import type { Requirement } from './auth/roles.js';

export const DEFAULT_RANGE_MS = 60 * 60 * 1000;
/** Longest /api/windows range: a week of 1-minute windows is ~10k points per series. */
export const MAX_RANGE_MS = 7 * 24 * 60 * 60 * 1000;
/** IF-MIB InterfaceIndex is 1..2147483647. */
const MAX_IF_INDEX = 2147483647;

export interface ApiDeps {
  registry: Registry;
  feed: WindowFeed;
  /** null when running without InfluxDB: /api/windows then answers 503. */
  store: WindowStore | null;
  /** The current device list (read per request, so a reloaded list shows up). */
  devices: () => readonly DeviceConfig[];
  /** The latest poll status of a device (netmon.status, through the dashboard's feed). */
  statusOf?: (deviceId: string) => unknown;
  clock: Clock;
  /** Who may read /metrics (dashboard.auth.metricsRole; default viewer). */
  metricsRole?: Requirement;
}

/** What a browser may know about a device: no community, no v3 user or keys. */
export interface PublicDevice {
  id: string;
  host: string;
  port: number;
  enabled: boolean;
  tags: string[];
  snmpVersion: DeviceConfig['snmp']['version'];
  status?: unknown;
}

export function publicDevice(d: DeviceConfig, statusOf?: (deviceId: string) => unknown): PublicDevice {
  const out: PublicDevice = { id: d.id, host: d.host, port: d.port, enabled: d.enabled, tags: [...d.tags], snmpVersion: d.snmp.version };
  if (statusOf) out.status = statusOf(d.id);
  return out;
}

// The response schema is a second guard: fast-json-stringify writes only the listed properties.
const deviceListSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['id', 'host', 'port', 'enabled', 'tags', 'snmpVersion'],
    properties: {
      id: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'integer' },
      enabled: { type: 'boolean' },
      tags: { type: 'array', items: { type: 'string' } },
      snmpVersion: { type: 'string' },
      status: {},
    },
  },
} as const;

const windowsQuerySchema = {
  type: 'object',
  required: ['device'],
  additionalProperties: false,
  properties: {
    device: { type: 'string', pattern: DEVICE_ID_PATTERN.source, description: 'Device id' },
    ifIndex: { type: 'string', pattern: '^(device|[1-9][0-9]{0,9})$', description: 'An interface index, or "device" for the device rollup; absent = both' },
    from: { type: 'string', format: 'date-time', description: 'Range start (ISO 8601 with zone); default: `to` minus one hour' },
    to: { type: 'string', format: 'date-time', description: 'Range end, exclusive; default: now' },
  },
} as const;

interface WindowsQuery {
  device: string;
  ifIndex?: string;
  from?: string;
  to?: string;
}

/** The time range of a query, checked where the JSON schema cannot: both readable, from before to, at most `maxMs` long. */
export function queryRange(q: { from?: string; to?: string }, now: number, defaultMs: number, maxMs: number, maxText: string): { fromMs: number; toMs: number } {
  const toMs = q.to === undefined ? now : Date.parse(q.to);
  const fromMs = q.from === undefined ? toMs - defaultMs : Date.parse(q.from);
  // ajv's date-time format accepts a few strings Date cannot place (e.g. a leap second).
  if (Number.isNaN(toMs)) throw invalid('querystring', 'to', 'is not a time this server can read');
  if (Number.isNaN(fromMs)) throw invalid('querystring', 'from', 'is not a time this server can read');
  if (fromMs >= toMs) throw invalid('querystring', 'to', 'must be after from');
  if (toMs - fromMs > maxMs) throw invalid('querystring', 'from', `must be at most ${maxText} before to`);
  return { fromMs, toMs };
}

/** An ifIndex query value (`device` or 1..9999999999 by the schema) as the store takes it: null for the device rollup. */
export function queryIfIndex(text: string): number | null {
  if (text === 'device') return null;
  const ifIndex = Number(text);
  if (ifIndex > MAX_IF_INDEX) throw invalid('querystring', 'ifIndex', `must be at most ${MAX_IF_INDEX}`);
  return ifIndex;
}

/** The window store of this dashboard (InfluxDB), or the 503 saying there is none. */
export function windowStore(store: WindowStore | null): WindowStore {
  if (!store) throw new NetmonError(ErrorCodes.UNAVAILABLE, 'no window store is configured for this dashboard');
  return store;
}

/** The 503 for a failed store query; the cause stays in the log: it names internal addresses a browser has no use for. */
export const storeDown = (cause: unknown) => new NetmonError(ErrorCodes.INFLUX, 'the window store (InfluxDB) is unavailable; try again later', { cause });

/** Windows as a JSON array text, each element exactly the contract's encoding. */
export function windowsJson(windows: readonly WindowResultInput[]): string {
  return `[${windows.map(encodeWindowResult).join(',')}]`;
}

const viewer = { role: 'viewer' } as const;

export function registerApiRoutes(app: FastifyInstance, log: Logger, deps: ApiDeps): void {
  const limited = createRateLimitedLog(log, 30_000);
  const storeErrors = new Counter({ name: 'netmon_dashboard_store_errors_total', help: 'Failed window queries to InfluxDB', registers: [deps.registry] });

  app.get('/api/devices', { config: viewer, schema: { response: { 200: deviceListSchema } } }, () => deps.devices().map((d) => publicDevice(d, deps.statusOf)));

  app.get<{ Querystring: WindowsQuery }>('/api/windows', { config: viewer, schema: { querystring: windowsQuerySchema } }, async (req, reply) => {
    const q = req.query;
    const { fromMs, toMs } = queryRange(q, deps.clock.now(), DEFAULT_RANGE_MS, MAX_RANGE_MS, `${MAX_RANGE_MS / 3_600_000} hours`);
    const ifIndex = q.ifIndex === undefined ? undefined : queryIfIndex(q.ifIndex);
    const store = windowStore(deps.store);
    let windows: WindowResultInput[];
    try {
      windows = await store.queryWindows({ deviceId: q.device, ifIndex, fromMs, toMs });
    } catch (err) {
      storeErrors.inc();
      limited('query', 'warn', { err: errorMessage(err) }, 'window query failed');
      throw storeDown(err);
    }
    return reply.type('application/json; charset=utf-8').send(windowsJson(windows));
  });

  app.get('/api/recent', { config: viewer }, (_req, reply) => reply.type('application/json; charset=utf-8').send(windowsJson(deps.feed.recent())));

  // The live feed's state for a page that (re)loads: the latest status of each device (netmon.status)
  // and the last alerts (netmon.alerts), as the feed relays them; empty when the feed carries none.
  app.get('/api/live/status', { config: viewer }, (_req, reply) => reply.type('application/json; charset=utf-8').send(`[${(deps.feed.statuses?.() ?? []).map(encodeDeviceStatus).join(',')}]`));
  app.get('/api/live/alerts', { config: viewer }, (_req, reply) => reply.type('application/json; charset=utf-8').send(`[${(deps.feed.alerts?.() ?? []).map(encodeAlertEvent).join(',')}]`));

  // Degraded (503) while a dependency this process sends to is down (common/health.ts): a load
  // balancer or an operator sees which one and since when.
  const health = healthOf(deps.registry, deps.clock);
  app.get('/healthz', { logLevel: 'warn', config: { role: 'anonymous' }, schema: { response: { 200: healthReportSchema, 503: healthReportSchema } } }, (_req, reply) => {
    const report = health.report();
    return reply.code(report.ok ? 200 : 503).send(report);
  });

  app.get('/metrics', { logLevel: 'warn', config: { role: deps.metricsRole ?? 'viewer' } }, async (_req, reply) => {
    const text = await deps.registry.metrics();
    return reply.type(deps.registry.contentType).send(text);
  });
}
