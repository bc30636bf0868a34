// The alerts API (its page is in static-assets.ts), one fastify plugin: active alerts (the newest event per
// rule and scope, from the InfluxDB alert history, with its acknowledgement and silences), history,
// delivery failures, the rules (read-only, from config/alerts.yaml), acknowledge with a note, and
// silences. Rules: every input has a JSON schema (a 400 names the field); the history store or the
// actions topic being unavailable is a 503 that says so. Every route declares its role (config.role:
// read viewer, ack/silence operator, rules admin), which the auth plugin checks. Handlers throw catalogue errors; dashboard/http-errors.ts answers them.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../common/clock.js';
import type { AlertRule } from '../../common/config/alerts-schema.js';
import { ErrorCodes, NetmonError, NotFoundError, errorMessage } from '../../common/errors.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { Counter, type Registry } from '../../common/metrics.js';
import { silenceMatches, type AlertAction, type AlertActions, type Silence, SILENCE_KEY_PREFIX } from '../../common/alerts/actions.js';
import type { AlertHistoryRow, AlertHistoryStore } from '../../common/store/alert-history.js';
import { queryRange } from '../api-routes.js';
import { invalid, throwInBody } from '../http-errors.js';
import type { RuleStore } from './rule-store.js';

/** The part of the actions view the routes use (a fake in unit tests, the Kafka view in the service). */
export interface AlertActionsPort {
  readonly actions: AlertActions;
  publish(a: AlertAction): Promise<void>;
  remove(key: string): Promise<void>;
}

export interface AlertRoutesOptions {
  rules: readonly AlertRule[];
  /** null: history, active alerts and failures answer 503. */
  history: AlertHistoryStore | null;
  /** null: acknowledge and silence answer 503. */
  actions: AlertActionsPort | null;
  clock: Clock;
  registry: Registry;
  log: Logger;
  /** The rules file + netmon.config, administered through POST/PUT/DELETE /api/alerts/rules; absent: rules are read-only. */
  ruleStore?: RuleStore | null;
}

const MAX_RANGE_MS = 31 * 86_400_000;
const ACTIVE_STATES = new Set(['pending', 'firing']);

const scopeProps = {
  ruleId: { type: 'string', minLength: 1, maxLength: 128 },
  deviceId: { type: 'string', minLength: 1, maxLength: 128 },
  // A type list, not anyOf: with fastify's type coercion anyOf would turn 0 into null.
  ifIndex: { type: ['integer', 'null'], minimum: 1 },
} as const;

const ackBody = {
  type: 'object',
  required: ['ruleId', 'deviceId', 'ifIndex', 'note'],
  additionalProperties: false,
  properties: { ...scopeProps, note: { type: 'string', minLength: 1, maxLength: 2048 }, by: { type: 'string', maxLength: 128 }, firingSince: { type: 'integer', minimum: 0 } },
} as const;

const silenceBody = {
  type: 'object',
  required: ['minutes', 'note'],
  additionalProperties: false,
  properties: { ...scopeProps, minutes: { type: 'integer', minimum: 1, maximum: 60 * 24 * 90 }, note: { type: 'string', minLength: 1, maxLength: 2048 }, by: { type: 'string', maxLength: 128 } },
} as const;

const rangeQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    limit: { type: 'integer', minimum: 1, maximum: 5000, default: 500 },
    rule: { type: 'string', minLength: 1, maxLength: 128 },
    device: { type: 'string', minLength: 1, maxLength: 128 },
    status: { type: 'string', enum: ['delivered', 'failed'] },
  },
} as const;

interface AckBody { ruleId: string; deviceId: string; ifIndex: number | null; note: string; by?: string; firingSince?: number }
interface SilenceBody { ruleId?: string; deviceId?: string; ifIndex?: number | null; minutes: number; note: string; by?: string }
interface RangeQuery { from?: string; to?: string; limit: number; rule?: string; device?: string; status?: 'delivered' | 'failed' }

const noHistory = () => new NetmonError(ErrorCodes.UNAVAILABLE, 'no alert history store is configured for this dashboard');
const noActions = () => new NetmonError(ErrorCodes.UNAVAILABLE, 'alert actions are not available on this dashboard');
/** The cause stays in the log: it names internal addresses a browser has no use for. */
const historyDown = (cause: unknown) => new NetmonError(ErrorCodes.INFLUX, 'the alert history (InfluxDB) is unavailable; try again later', { cause });

// Reading alerts is for viewers, acknowledging and silencing them for operators, the rules for admins.
const viewer = { role: 'viewer' } as const;
const operator = { role: 'operator' } as const;
const admin = { role: 'admin' } as const;

export function registerAlertRoutes(app: FastifyInstance, opts: AlertRoutesOptions): void {
  const limited = createRateLimitedLog(opts.log, 30_000);
  const errors = new Counter({ name: 'netmon_dashboard_alert_errors_total', help: 'Alert API requests that failed on the history store or the actions topic', labelNames: ['what'], registers: [opts.registry] });

  const range = (q: RangeQuery) => queryRange(q, opts.clock.now(), 86_400_000, MAX_RANGE_MS, `${MAX_RANGE_MS / 86_400_000} days`);

  function decorate(row: AlertHistoryRow, now: number) {
    const ack = opts.actions?.actions.ackOf(row) ?? null;
    const acked = ack !== null && row.firingSince !== null && ack.firingSince === row.firingSince;
    const silencedBy = opts.actions?.actions.silences().filter((s) => silenceMatches(s, row, now)).map((s) => s.id) ?? [];
    return { ...row, acknowledged: acked ? { note: ack.note, by: ack.by, at: ack.at } : null, silencedBy };
  }

  app.get('/api/alerts/rules', { config: viewer }, () => opts.ruleStore?.list() ?? opts.rules);
  registerRuleWrites(app, opts.ruleStore ?? null);

  /** Reads the alert history; a failure is counted, logged at a limited rate, and answered without its internals. */
  async function fromHistory<T>(what: string, query: (history: AlertHistoryStore) => Promise<T>): Promise<T> {
    if (!opts.history) throw noHistory();
    try {
      return await query(opts.history);
    } catch (err) {
      errors.inc({ what });
      limited(what, 'warn', { err: errorMessage(err) }, `alert ${what} query failed`);
      throw historyDown(err);
    }
  }

  /** Stores an alert action on its topic; a failure is counted, logged at a limited rate, and a 503 saying what was not stored. */
  async function storeAction(what: string, failed: string, store: () => Promise<void>): Promise<void> {
    try {
      await store();
    } catch (err) {
      errors.inc({ what });
      limited(failed, 'warn', { err: errorMessage(err) }, failed);
      throw new NetmonError(ErrorCodes.KAFKA, `${failed} (Kafka); try again`, { cause: err });
    }
  }

  app.get('/api/alerts/active', { config: viewer }, async () => {
    const now = opts.clock.now();
    const rows = (await fromHistory('active', (h) => h.latest())).filter((r) => ACTIVE_STATES.has(r.state));
    return rows.sort((a, b) => b.windowStart - a.windowStart).map((r) => decorate(r, now));
  });

  app.get<{ Querystring: RangeQuery }>('/api/alerts/history', { config: viewer, schema: { querystring: rangeQuery } }, async (req) => {
    const r = range(req.query);
    return fromHistory('history', (h) => h.history({ ...r, limit: req.query.limit, ruleId: req.query.rule, deviceId: req.query.device }));
  });

  app.get<{ Querystring: RangeQuery }>('/api/alerts/deliveries', { config: viewer, schema: { querystring: rangeQuery } }, async (req) => {
    const r = range(req.query);
    return fromHistory('deliveries', (h) => h.deliveries({ ...r, limit: req.query.limit, status: req.query.status }));
  });

  app.get('/api/alerts/silences', { config: viewer }, () => {
    if (!opts.actions) throw noActions();
    const now = opts.clock.now();
    return opts.actions.actions.silences().filter((s) => s.until > now);
  });

  app.post<{ Body: AckBody }>('/api/alerts/ack', { config: operator, schema: { body: ackBody } }, async (req, reply) => {
    const actions = opts.actions;
    if (!actions) throw noActions();
    const b = req.body;
    let firingSince = b.firingSince;
    if (firingSince === undefined) {
      const row = (await fromHistory('ack', (h) => h.latest())).find((r) => r.ruleId === b.ruleId && r.deviceId === b.deviceId && r.ifIndex === b.ifIndex);
      if (!row || row.state !== 'firing' || row.firingSince === null) throw invalid('body', 'ruleId', `no firing alert of rule ${b.ruleId} on ${b.deviceId}${b.ifIndex === null ? '' : ` ifIndex ${b.ifIndex}`}`);
      firingSince = row.firingSince;
    }
    const ack = { kind: 'ack' as const, ruleId: b.ruleId, deviceId: b.deviceId, ifIndex: b.ifIndex, firingSince, note: b.note, by: b.by ?? '', at: opts.clock.now() };
    await storeAction('ack', 'the acknowledgement could not be stored', () => actions.publish(ack));
    return reply.code(201).send(ack);
  });

  app.post<{ Body: SilenceBody }>('/api/alerts/silences', { config: operator, schema: { body: silenceBody } }, async (req, reply) => {
    const actions = opts.actions;
    if (!actions) throw noActions();
    const b = req.body;
    const now = opts.clock.now();
    const silence: Silence = { kind: 'silence', id: `s-${now.toString(36)}-${randomBytes(3).toString('hex')}`, until: now + b.minutes * 60_000, note: b.note, by: b.by ?? '', at: now };
    if (b.ruleId !== undefined) silence.ruleId = b.ruleId;
    if (b.deviceId !== undefined) silence.deviceId = b.deviceId;
    if (b.ifIndex !== undefined) silence.ifIndex = b.ifIndex;
    await storeAction('silence', 'the silence could not be stored', () => actions.publish(silence));
    return reply.code(201).send(silence);
  });

  app.delete<{ Params: { id: string } }>('/api/alerts/silences/:id', { config: operator, schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } } } } }, async (req, reply) => {
    const actions = opts.actions;
    if (!actions) throw noActions();
    if (!actions.actions.silences().some((s) => s.id === req.params.id)) throw new NotFoundError(`no silence ${req.params.id}`);
    await storeAction('silence', 'the silence could not be removed', () => actions.remove(`${SILENCE_KEY_PREFIX}${req.params.id}`));
    return reply.code(204).send();
  });
}

// Rule writes: create, replace, delete. The body is checked by the rules
// file's own zod schema (rule-store.ts / alerts-file.ts), so a 400 names the field as `body/<path>`.
const ruleIdParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' } } } as const;
const ruleBody = { type: 'object' } as const;

function registerRuleWrites(app: FastifyInstance, rules: RuleStore | null): void {
  const storeOf = (): RuleStore => {
    if (!rules) throw new NetmonError(ErrorCodes.UNAVAILABLE, 'alert rules are read-only here: no rules file (run with a config file, and alerts.rulesFile not "")');
    return rules;
  };
  app.post<{ Body: unknown }>('/api/alerts/rules', { config: admin, schema: { body: ruleBody } }, async (req, reply) => reply.code(201).send(await storeOf().create(req.body).catch(throwInBody)));
  app.put<{ Params: { id: string }; Body: unknown }>('/api/alerts/rules/:id', { config: admin, schema: { params: ruleIdParams, body: ruleBody } }, async (req) => storeOf().replace(req.params.id, req.body).catch(throwInBody));
  app.delete<{ Params: { id: string } }>('/api/alerts/rules/:id', { config: admin, schema: { params: ruleIdParams } }, async (req, reply) => {
    await storeOf().remove(req.params.id);
    return reply.code(204).send();
  });
}

/** The plugin form, for `app.register(alertRoutesPlugin, options)`. */
export function alertRoutesPlugin(app: FastifyInstance, opts: AlertRoutesOptions, done: (err?: Error) => void): void {
  registerAlertRoutes(app, opts);
  done();
}
