// InfluxDB 1.x window store: writes WindowResults as points keyed by series and window start (so a
// replay or a new revision overwrites, never duplicates) and reads them back.
// Schema (docs/storage.md): measurement interface_window {device, if_index} and device_window {device};
// time = window start; integer totals, float rates; optional rates omitted when unknown.
// Errors come in two kinds: a write InfluxDB refuses for good (a 4xx about the points) is bisected
// and the refused windows are returned with the reason; anything that may work later (network,
// timeouts, 5xx, authentication, a missing database) throws a retriable NetmonError.
import Influx from 'influx';
import type { IPoint } from 'influx';
import { NetmonError, ErrorCodes } from '../errors.js';
import type { NetmonConfig } from '../config/schema.js';
import type { WindowResultInput } from '../contracts/window-result.js';
import { u64ToNumber } from '../u64.js';
import { batches } from '../batching.js';

export const MEASUREMENT_INTERFACE = 'interface_window';
export const MEASUREMENT_DEVICE = 'device_window';
export const RP_RAW = 'netmon_raw';
export const RP_ROLLUP = 'netmon_rollup';
export const ROLLUP_SUFFIX = '_1h';

/**
 * The 1-hour rollup of one measurement: totals summed, rates re-derived from them over the hour's
 * covered time, peaks kept, coverage averaged. Used by the continuous query and, with a time range,
 * to backfill.
 */
/**
 * Each window covers windowSeconds of the hour: the hour's coverage is their weighted sum. Written
 * with integers only: InfluxDB stores a continuous query as re-printed InfluxQL, which prints a
 * decimal literal with 3 digits, so `* 0.016666666666666666` ran as `* 0.017` (2 % too high).
 */
const coverageSum = (windowSeconds: number) => `sum("coverage") * ${windowSeconds} / 3600 AS "coverage"`;

/** The continuous queries' names; the version changes with their text (ensureDatabase replaces older ones). */
export const CQ_VERSION = 2;
export const cqName = (measurement: string, version = CQ_VERSION) => `cq_${measurement}${ROLLUP_SUFFIX}${version === 1 ? '' : `_v${version}`}`;

export function rollupSelect(database: string, measurement: string, windowSeconds: number, where = ''): string {
  const sums = ['in_octets', 'out_octets', 'in_packets', 'out_packets', 'in_errors', 'out_errors', 'in_discards', 'out_discards', 'sample_count'];
  const fields = [
    ...sums.map((f) => `sum("${f}") AS "${f}"`),
    'mean("in_bps") AS "in_bps"', 'mean("out_bps") AS "out_bps"', 'mean("in_pps") AS "in_pps"', 'mean("out_pps") AS "out_pps"',
    'max("peak_in_bps") AS "peak_in_bps"', 'max("peak_out_bps") AS "peak_out_bps"',
    'mean("in_utilization") AS "in_utilization"', 'mean("out_utilization") AS "out_utilization"', 'last("speed") AS "speed"',
    coverageSum(windowSeconds),
  ];
  return `SELECT ${fields.join(', ')} INTO "${database}"."${RP_ROLLUP}"."${measurement}${ROLLUP_SUFFIX}" FROM "${database}"."${RP_RAW}"."${measurement}"${where ? ` WHERE ${where}` : ''} GROUP BY time(1h), *`;
}

const TOTALS = ['inOctets', 'outOctets', 'inPackets', 'outPackets', 'inErrors', 'outErrors', 'inDiscards', 'outDiscards'] as const;
const RATES = ['inBps', 'outBps', 'inPps', 'outPps', 'peakInBps', 'peakOutBps', 'coverage'] as const;
const OPTIONAL_RATES = ['inAvgPacketSize', 'outAvgPacketSize', 'speed', 'inUtilization', 'outUtilization'] as const;

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export interface WindowQuery {
  deviceId: string;
  /** An interface's windows; null for the device rollup; undefined for the interfaces and the rollup. */
  ifIndex?: number | null;
  fromMs: number;
  toMs: number;
}

/** A window a store refused for good (InfluxDB 4xx: a bad point, a field type conflict, beyond retention), with the store's words. */
export interface RejectedWindow {
  window: WindowResultInput;
  reason: string;
}

/**
 * Whether an InfluxDB answer means "this request will never be accepted" (a 4xx about the points),
 * not "try again later": authentication (401, 403), a missing database (404), timeouts (408) and
 * rate limits (429) are fixed by someone else or by waiting, like network errors and 5xx.
 */
export function isPermanentHttpStatus(status: number): boolean {
  return status >= 400 && status < 500 && ![401, 403, 404, 408, 429].includes(status);
}

export interface WindowStore {
  ensureDatabase(): Promise<void>;
  /**
   * Writes the windows. Resolves with the windows refused for good (the others are written; nothing
   * or void when all are); throws a retriable NetmonError when the store is unreachable or failing
   * (network, 5xx, ...), after which writing the same windows again is harmless.
   */
  writeWindows(windows: readonly WindowResultInput[]): Promise<readonly RejectedWindow[] | void>;
  queryWindows(q: WindowQuery): Promise<WindowResultInput[]>;
  /** The rates of one series at one resolution, for the dashboard's history charts (stores that can). */
  queryHistory?(q: HistoryQuery): Promise<HistoryRow[]>;
}

/** Which stored data a history query reads: the 1-minute windows or the 1-hour rollups. */
export type HistoryResolution = 'raw' | 'rollup';

export interface HistoryQuery {
  deviceId: string;
  /** An interface, or null for the device rollup. */
  ifIndex: number | null;
  fromMs: number;
  toMs: number;
  resolution: HistoryResolution;
}

/** One stored window (raw) or hour (rollup): only the slots that have data come back. */
export interface HistoryRow {
  t: number;
  /** The window's end (raw rows), from which the timeline's step follows; null for rollups. */
  windowEnd: number | null;
  inBps: number;
  outBps: number;
  inUtilization: number | null;
  outUtilization: number | null;
  peakInBps: number;
  peakOutBps: number;
  coverage: number;
}

const HISTORY_FIELDS = '"in_bps", "out_bps", "in_utilization", "out_utilization", "peak_in_bps", "peak_out_bps", "coverage"';
/** The rollup's expressions for the same fields, to aggregate raw windows the continuous query has not rolled up yet. */
const historyRollupFields = (windowSeconds: number) =>
  `mean("in_bps") AS "in_bps", mean("out_bps") AS "out_bps", mean("in_utilization") AS "in_utilization", mean("out_utilization") AS "out_utilization", max("peak_in_bps") AS "peak_in_bps", max("peak_out_bps") AS "peak_out_bps", ${coverageSum(windowSeconds)}`;

export function historyRow(row: Record<string, unknown> & { time: Date }): HistoryRow {
  const num = (k: string): number => (typeof row[k] === 'number' ? (row[k]) : 0);
  const opt = (k: string): number | null => (typeof row[k] === 'number' ? (row[k]) : null);
  return {
    t: row.time.getTime(),
    windowEnd: opt('window_end_ms'),
    inBps: num('in_bps'),
    outBps: num('out_bps'),
    inUtilization: opt('in_utilization'),
    outUtilization: opt('out_utilization'),
    peakInBps: num('peak_in_bps'),
    peakOutBps: num('peak_out_bps'),
    coverage: num('coverage'),
  };
}

export function windowToPoint(w: WindowResultInput): IPoint {
  const fields: Record<string, unknown> = {};
  for (const [k, f] of TOTAL_FIELDS) fields[f] = Number(w[k]);
  for (const [k, f] of RATE_FIELDS) fields[f] = w[k];
  for (const [k, f] of OPTIONAL_FIELDS) if (w[k] !== null) fields[f] = w[k];
  fields.sample_count = w.sampleCount;
  fields.revision = w.revision;
  fields.window_end_ms = w.windowEnd;
  if (w.ifName !== null) fields.if_name = w.ifName;
  return {
    measurement: w.ifIndex === null ? MEASUREMENT_DEVICE : MEASUREMENT_INTERFACE,
    tags: w.ifIndex === null ? { device: deviceTag(w.deviceId) } : { device: deviceTag(w.deviceId), if_index: String(w.ifIndex) },
    fields,
    timestamp: new Date(w.windowStart),
  };
}

/** Points per /write request. */
export const WRITE_BATCH_LINES = 5000;

/** Field names in snake case, computed once (the hot write path must not run a regex per field). */
const TOTAL_FIELDS = TOTALS.map((k) => [k, snake(k)] as const);
const RATE_FIELDS = RATES.map((k) => [k, snake(k)] as const);
const OPTIONAL_FIELDS = OPTIONAL_RATES.map((k) => [k, snake(k)] as const);

/*
 * Line-protocol escaping, complete for InfluxDB 1.x (models/points.go): measurements escape comma and
 * space; tag keys, tag values and field keys escape comma, equals sign and space; string field values
 * escape double quote and backslash (a newline inside the quotes is carried as it is). A backslash
 * in a tag is kept as it is (1.x does not unescape `\\`), except that nothing can end a tag value
 * with one: the separator after it would read as escaped. Tag values therefore go through
 * deviceTag first. A newline cannot be carried in a tag at all; device ids never hold one (the
 * contract refuses control characters), and a line broken by one is refused on its own (bisected).
 */
export const escapeMeasurement = (s: string) => (/[, ]/.test(s) ? s.replace(/[, ]/g, (c) => `\\${c}`) : s);
export const escapeTag = (s: string) => (/[,= ]/.test(s) ? s.replace(/[,= ]/g, (c) => `\\${c}`) : s);
export const quoteField = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/**
 * The stored form of a device id in the `device` tag: the id itself, with one space appended when it
 * ends with a backslash (which a tag value cannot end with) or a space (so the mapping stays one to
 * one). Every id netmon allowed before (letters, digits, `._-`) is stored unchanged.
 */
export const deviceTag = (id: string) => (id.endsWith('\\') || id.endsWith(' ') ? `${id} ` : id);
/** The device id of a stored `device` tag (deviceTag's inverse). */
export const deviceFromTag = (tag: string) => (tag.endsWith(' ') ? tag.slice(0, -1) : tag);

/** An InfluxQL string literal: backslash and single quote escaped, a newline as `\\n` (the only escapes InfluxQL reads). */
export const influxString = (s: string) => `'${s.replace(/[\\']/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}'`;

/** Every field a window line can have, in name order (the order the influx package writes them). */
type LineField = { name: string; kind: 'total'; key: (typeof TOTALS)[number] } | { name: string; kind: 'number'; key: (typeof RATES)[number] | 'sampleCount' | 'revision' | 'windowEnd' } | { name: string; kind: 'optional'; key: (typeof OPTIONAL_RATES)[number] } | { name: string; kind: 'ifName' };
const LINE_FIELDS: readonly LineField[] = [
  ...TOTAL_FIELDS.map(([key, name]) => ({ name, kind: 'total' as const, key })),
  ...RATE_FIELDS.map(([key, name]) => ({ name, kind: 'number' as const, key })),
  ...OPTIONAL_FIELDS.map(([key, name]) => ({ name, kind: 'optional' as const, key })),
  { name: 'sample_count', kind: 'number' as const, key: 'sampleCount' as const },
  { name: 'revision', kind: 'number' as const, key: 'revision' as const },
  { name: 'window_end_ms', kind: 'number' as const, key: 'windowEnd' as const },
  { name: 'if_name', kind: 'ifName' as const },
].sort((a, b) => (a.name < b.name ? -1 : 1));

/**
 * The window as one InfluxDB line-protocol line, exactly what `windowToPoint` becomes through the
 * influx package (numbers as floats, fields in name order, null fields left out), built directly:
 * this is the processor's hot write path.
 */
export function windowToLine(w: WindowResultInput): string {
  const device = escapeTag(deviceTag(w.deviceId));
  let line = w.ifIndex === null ? `${MEASUREMENT_DEVICE},device=${device} ` : `${MEASUREMENT_INTERFACE},device=${device},if_index=${w.ifIndex} `;
  let first = true;
  for (const f of LINE_FIELDS) {
    let value: string;
    if (f.kind === 'total') value = String(u64ToNumber(w[f.key]));
    else if (f.kind === 'number') value = String(w[f.key]);
    else if (f.kind === 'optional') {
      const v = w[f.key];
      if (v === null) continue;
      value = String(v);
    } else {
      if (w.ifName === null) continue;
      value = quoteField(w.ifName);
    }
    line += first ? `${f.name}=${value}` : `,${f.name}=${value}`;
    first = false;
  }
  return `${line} ${w.windowStart}`;
}

type Row = Record<string, unknown> & { time: Date };

export function rowToWindow(row: Row, measurement: string): WindowResultInput {
  const num = (k: string): number => (typeof row[k] === 'number' ? (row[k]) : 0);
  const opt = (k: string): number | null => (typeof row[k] === 'number' ? (row[k]) : null);
  const big = (k: string): bigint => BigInt(Math.round(num(k)));
  const windowStart = row.time.getTime();
  return {
    deviceId: deviceFromTag(String(row.device)),
    ifIndex: measurement === MEASUREMENT_DEVICE ? null : Number(row.if_index),
    ifName: typeof row.if_name === 'string' ? row.if_name : null,
    windowStart,
    windowEnd: num('window_end_ms') || windowStart,
    inOctets: big('in_octets'),
    outOctets: big('out_octets'),
    inPackets: big('in_packets'),
    outPackets: big('out_packets'),
    inErrors: big('in_errors'),
    outErrors: big('out_errors'),
    inDiscards: big('in_discards'),
    outDiscards: big('out_discards'),
    inBps: num('in_bps'),
    outBps: num('out_bps'),
    inPps: num('in_pps'),
    outPps: num('out_pps'),
    inAvgPacketSize: opt('in_avg_packet_size'),
    outAvgPacketSize: opt('out_avg_packet_size'),
    speed: opt('speed'),
    inUtilization: opt('in_utilization'),
    outUtilization: opt('out_utilization'),
    peakInBps: num('peak_in_bps'),
    peakOutBps: num('peak_out_bps'),
    coverage: num('coverage'),
    sampleCount: num('sample_count'),
    revision: num('revision'),
  };
}

/** The influx package's client for the configured URL, database and credentials. */
export function createInfluxClient(cfg: NetmonConfig['influx']): Influx.InfluxDB {
  const url = new URL(cfg.url);
  return new Influx.InfluxDB({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    database: cfg.database,
    username: cfg.username,
    password: cfg.password?.reveal(),
  });
}

export function createInfluxStore(cfg: NetmonConfig['influx'], opts: { windowSeconds?: number } = {}): WindowStore {
  const windowSeconds = opts.windowSeconds ?? 60;
  const url = new URL(cfg.url);
  const influx = createInfluxClient(cfg);
  const writeUrl = new URL('write', url.href.endsWith('/') ? url.href : `${url.href}/`);
  writeUrl.searchParams.set('db', cfg.database);
  writeUrl.searchParams.set('precision', 'ms');
  const writeHeaders: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (cfg.username) writeHeaders.authorization = `Basic ${Buffer.from(`${cfg.username}:${cfg.password?.reveal() ?? ''}`).toString('base64')}`;
  const wrap = (what: string, err: unknown) => new NetmonError(ErrorCodes.INFLUX, `InfluxDB ${what} failed at ${cfg.url}: ${(err as Error).message}`, { cause: err, retriable: true });

  /** One /write request: resolves null when written, the refusal when InfluxDB refused it for good; throws when it may work later. */
  async function post(chunk: readonly WindowResultInput[]): Promise<string | null> {
    let body = '';
    for (const w of chunk) body += `${windowToLine(w)}\n`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(writeUrl, { method: 'POST', headers: writeHeaders, body });
      text = res.ok ? '' : (await res.text()).slice(0, 500);
    } catch (err) {
      throw wrap('write', err);
    }
    if (res.ok) return null;
    const refusal = `HTTP ${res.status}: ${text}`;
    if (isPermanentHttpStatus(res.status)) return refusal;
    throw wrap('write', new Error(refusal));
  }

  /**
   * Writes `chunk`; when InfluxDB refuses it for good, halves it until the refused points stand
   * alone (about log2(n) requests per bad point), so every good window is still written.
   */
  async function writeBisecting(chunk: readonly WindowResultInput[], rejected: RejectedWindow[]): Promise<void> {
    const refusal = await post(chunk);
    if (refusal === null) return;
    if (chunk.length === 1) {
      rejected.push({ window: chunk[0], reason: `InfluxDB refused the window: ${refusal}` });
      return;
    }
    const mid = chunk.length >> 1;
    await writeBisecting(chunk.slice(0, mid), rejected);
    await writeBisecting(chunk.slice(mid), rejected);
  }

  return {
    async ensureDatabase() {
      try {
        // CREATE DATABASE is idempotent in InfluxDB 1.x; retention policies are created or altered
        // to the configured durations; continuous queries are created once.
        await influx.createDatabase(cfg.database);
        const rps = new Map((await influx.showRetentionPolicies(cfg.database)).map((r) => [r.name, r]));
        for (const [name, duration, isDefault] of [[RP_RAW, cfg.rawRetention, true], [RP_ROLLUP, cfg.rollupRetention, false]] as const) {
          const spec = { database: cfg.database, duration, replication: 1, isDefault };
          if (rps.has(name)) await influx.alterRetentionPolicy(name, spec);
          else await influx.createRetentionPolicy(name, spec);
        }
        // SHOW CONTINUOUS QUERIES lists every database's; keep this database's series only.
        const raw = (await influx.queryRaw('SHOW CONTINUOUS QUERIES')) as { results: Array<{ series?: Array<{ name: string; values?: unknown[][] }> }> };
        const mine = raw.results[0]?.series?.find((x) => x.name === cfg.database);
        const cqs = new Set((mine?.values ?? []).map((v) => String(v[0])));
        for (const m of [MEASUREMENT_INTERFACE, MEASUREMENT_DEVICE]) {
          // Older versions of the query (version 1 over-counted coverage) are replaced.
          for (let v = 1; v < CQ_VERSION; v++) if (cqs.has(cqName(m, v))) await influx.dropContinuousQuery(cqName(m, v), cfg.database);
          if (!cqs.has(cqName(m))) await influx.createContinuousQuery(cqName(m), rollupSelect(cfg.database, m, windowSeconds), cfg.database, 'RESAMPLE EVERY 15m FOR 2h');
        }
      } catch (err) {
        throw wrap('database setup', err);
      }
    },
    async writeWindows(windows) {
      if (windows.length === 0) return [];
      // Line protocol straight to /write: the influx package's per-point serializer cost more CPU
      // than the window engine (bench:processor).
      // At most WRITE_BATCH_LINES a request (InfluxDB's advice, and far under its max-body-size);
      // a point is keyed by series and time, so a retried write of every chunk is harmless.
      const rejected: RejectedWindow[] = [];
      for (const chunk of batches(windows, () => 0, { maxCount: WRITE_BATCH_LINES })) await writeBisecting(chunk, rejected);
      return rejected;
    },
    async queryWindows(q) {
      const range = `time >= ${Math.floor(q.fromMs)}ms AND time < ${Math.floor(q.toMs)}ms`;
      const dev = `"device" = ${influxString(deviceTag(q.deviceId))}`;
      const queries: Array<[string, string]> = [];
      if (q.ifIndex !== null) {
        const idx = q.ifIndex === undefined ? '' : ` AND "if_index" = ${influxString(String(q.ifIndex))}`;
        queries.push([MEASUREMENT_INTERFACE, `SELECT * FROM ${MEASUREMENT_INTERFACE} WHERE ${dev}${idx} AND ${range}`]);
      }
      if (q.ifIndex === null || q.ifIndex === undefined) queries.push([MEASUREMENT_DEVICE, `SELECT * FROM ${MEASUREMENT_DEVICE} WHERE ${dev} AND ${range}`]);
      try {
        const out: WindowResultInput[] = [];
        for (const [m, text] of queries) {
          const rows = await influx.query<Row>(text, { precision: 'ms' });
          for (const row of rows) out.push(rowToWindow(row, m));
        }
        return out.sort((a, b) => a.windowStart - b.windowStart || (a.ifIndex ?? Infinity) - (b.ifIndex ?? Infinity));
      } catch (err) {
        throw wrap('query', err);
      }
    },
    async queryHistory(q) {
      const measurement = q.ifIndex === null ? MEASUREMENT_DEVICE : MEASUREMENT_INTERFACE;
      const series = `"device" = ${influxString(deviceTag(q.deviceId))}${q.ifIndex === null ? '' : ` AND "if_index" = ${influxString(String(q.ifIndex))}`}`;
      const range = (from: number, to: number) => `time >= ${Math.floor(from)}ms AND time < ${Math.floor(to)}ms`;
      const db = Influx.escape.quoted(cfg.database);
      try {
        if (q.resolution === 'raw') {
          const rows = await influx.query<Row>(`SELECT ${HISTORY_FIELDS}, "window_end_ms" FROM ${db}."${RP_RAW}"."${measurement}" WHERE ${series} AND ${range(q.fromMs, q.toMs)}`, { precision: 'ms' });
          return rows.map(historyRow);
        }
        const rolled = (await influx.query<Row>(`SELECT ${HISTORY_FIELDS} FROM ${db}."${RP_ROLLUP}"."${measurement}${ROLLUP_SUFFIX}" WHERE ${series} AND ${range(q.fromMs, q.toMs)}`, { precision: 'ms' })).map(historyRow);
        // The continuous query runs every 15 minutes, so its newest hours lag or are missing: the last
        // two hours come from the raw windows, aggregated the same way, wherever those have data.
        const hour = 3_600_000;
        const recentFrom = Math.max(q.fromMs, Math.floor(q.toMs / hour) * hour - 2 * hour);
        const byHour = new Map(rolled.map((r) => [r.t, r]));
        const recent = await influx.query<Row>(
          `SELECT ${historyRollupFields(windowSeconds)} FROM ${db}."${RP_RAW}"."${measurement}" WHERE ${series} AND ${range(recentFrom, q.toMs)} GROUP BY time(1h)`,
          { precision: 'ms' },
        );
        // GROUP BY time returns every hour of the range; an hour without windows has no coverage value.
        for (const r of recent) if (typeof r.coverage === 'number') byHour.set(r.time.getTime(), historyRow(r));
        return [...byHour.values()].sort((a, b) => a.t - b.t);
      } catch (err) {
        throw wrap('history query', err);
      }
    },
  };
}
