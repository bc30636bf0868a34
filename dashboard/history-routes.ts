// GET /api/history: one series' rates over a time range, from InfluxDB, for the device page's
// charts. The range is a button (`range=1h|6h|24h|7d|30d`, ending now or at `to`) or a zoom
// selection (`from` and `to`); up to 24 h it reads the 1-minute windows (netmon_raw), beyond that
// the 1-hour rollups (netmon_rollup). The answer is columns over a regular timeline where a slot
// with nothing stored is null (a gap, never a zero) and `coverage` marks partial windows.
// Rules: a fastify schema checks the query (bad input -> 400 naming the field); a store that is
// missing or failing is a 503 that says so, never an empty history.
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../common/clock.js';
import { DEVICE_ID_PATTERN } from '../common/config/schema.js';
import { errorMessage } from '../common/errors.js';
import { createRateLimitedLog, type Logger } from '../common/log.js';
import { Counter, type Registry } from '../common/metrics.js';
import type { HistoryRow, WindowStore } from '../common/store/influx.js';
import { ErrorCodes, NetmonError } from '../common/errors.js';
import { queryIfIndex, queryRange, storeDown, windowStore } from './api-routes.js';
import { invalid } from './http-errors.js';
import { chooseResolution, fillGaps, HISTORY_RANGES, MAX_HISTORY_MS, rawStepMs, ROLLUP_STEP_MS, type HistoryRange } from './history.js';

export interface HistoryDeps {
  store: WindowStore | null;
  clock: Clock;
  registry: Registry;
  /** The processor's window length, for the timeline when no stored window tells it (default 60). */
  windowSeconds?: number;
}

const nullableNumbers = { type: 'array', items: { type: ['number', 'null'] } } as const;

export const historyQuerySchema = {
  type: 'object',
  required: ['device', 'ifIndex'],
  additionalProperties: false,
  properties: {
    device: { type: 'string', pattern: DEVICE_ID_PATTERN.source, description: 'Device id' },
    ifIndex: { type: 'string', pattern: '^(device|[1-9][0-9]{0,9})$', description: 'An interface index, or "device" for the device total' },
    range: { type: 'string', enum: Object.keys(HISTORY_RANGES), description: 'A range ending at `to` (default now); not with `from`' },
    from: { type: 'string', format: 'date-time', description: 'Range start (ISO 8601 with zone), for a zoomed range; not with `range`' },
    to: { type: 'string', format: 'date-time', description: 'Range end, exclusive; default now' },
  },
} as const;

export const historyResponseSchema = {
  type: 'object',
  required: ['device', 'ifIndex', 'resolution', 'stepMs', 'from', 'to', 't', 'inBps', 'outBps', 'coverage'],
  properties: {
    device: { type: 'string' },
    ifIndex: { type: ['integer', 'null'] },
    resolution: { type: 'string', enum: ['raw', 'rollup'], description: 'raw = 1-minute windows, rollup = 1-hour rollups' },
    stepMs: { type: 'integer' },
    from: { type: 'integer' },
    to: { type: 'integer' },
    t: { type: 'array', items: { type: 'integer' }, description: 'Slot start times (ms)' },
    inBps: nullableNumbers,
    outBps: nullableNumbers,
    inUtilization: nullableNumbers,
    outUtilization: nullableNumbers,
    peakInBps: nullableNumbers,
    peakOutBps: nullableNumbers,
    coverage: { ...nullableNumbers, description: 'Fraction of each slot covered by data; null = no data (a gap)' },
  },
} as const;

interface HistoryQueryString {
  device: string;
  ifIndex: string;
  range?: HistoryRange;
  from?: string;
  to?: string;
}

export function registerHistoryRoutes(app: FastifyInstance, log: Logger, deps: HistoryDeps): void {
  const limited = createRateLimitedLog(log, 30_000);
  const errors = new Counter({ name: 'netmon_dashboard_history_errors_total', help: 'Failed history queries to InfluxDB', registers: [deps.registry] });
  const windowSeconds = deps.windowSeconds ?? 60;

  app.get<{ Querystring: HistoryQueryString }>('/api/history', { config: { role: 'viewer' }, schema: { querystring: historyQuerySchema, response: { 200: historyResponseSchema } } }, async (req) => {
    const q = req.query;
    if (q.range !== undefined && q.from !== undefined) throw invalid('querystring', 'from', 'must not be given with range (range ends at to; from..to is a zoomed range)');
    const { fromMs, toMs } = queryRange(q, deps.clock.now(), HISTORY_RANGES[q.range ?? '1h'], MAX_HISTORY_MS, `${MAX_HISTORY_MS / 86_400_000} days`);
    const ifIndex = queryIfIndex(q.ifIndex);
    const store = windowStore(deps.store);
    if (!store.queryHistory) throw new NetmonError(ErrorCodes.UNAVAILABLE, 'this window store does not serve history');

    const resolution = chooseResolution(toMs - fromMs);
    let rows: HistoryRow[];
    try {
      rows = await store.queryHistory({ deviceId: q.device, ifIndex, fromMs, toMs, resolution });
    } catch (err) {
      errors.inc();
      limited('history', 'warn', { err: errorMessage(err) }, 'history query failed');
      throw storeDown(err);
    }
    const first = rows[0] as HistoryRow | undefined;
    const stepMs = resolution === 'rollup' ? ROLLUP_STEP_MS : rawStepMs(first && first.windowEnd !== null ? first.windowEnd - first.t : null, windowSeconds);
    return { device: q.device, ifIndex, ...fillGaps(rows, fromMs, toMs, stepMs, resolution) };
  });
}
