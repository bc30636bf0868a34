// The alerts API (its page is in static-assets.ts), one fastify plugin: active alerts (the newest event per
// rule and scope, from the InfluxDB alert history, with its acknowledgement and silences), history,
// delivery failures, the rules (read-only, from config/alerts.yaml), acknowledge with a note, and
// silences. Rules: every input has a JSON schema (a 400 names the field); the history store or the
// actions topic being unavailable is a 503 that says so. Writes run the `preHandler` the server is given
// (the auth helper's requireAdmin at merge); without one they are allowed from loopback only and,
// from a browser, only from this origin.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler, preHandlerHookHandler } from 'fastify';
import type { Clock } from '../../common/clock.js';
import type { AlertRule } from '../../common/config/alerts-schema.js';
import { ErrorCodes, errorMessage } from '../../common/errors.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { Counter, type Registry } from '../../common/metrics.js';
import { silenceMatches, type AlertAction, type AlertActions, type Silence, SILENCE_KEY_PREFIX } from '../../processor/alerts/actions.js';
import type { AlertHistoryRow, AlertHistoryStore } from '../../processor/alerts/alert-history.js';
import { RuleInputError } from '../../common/config/alerts-file.js';
import { RuleConflictError, RuleNotFoundError, RulePublishPendingError, RulesFileBrokenError, type RuleStore } from './rule-store.js';

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
  /** Authorisation of the write routes; default: loopback clients only, same origin. */
  preHandler?: preHandlerAsyncHookHandler | preHandlerHookHandler;
}

const MAX_RANGE_MS = 31 * 86_400_000;
const ACTIVE_STATES = new Set(['pending', 'firing']);

const isLoopback = (addr: string | undefined) => !!addr && (/^127\./.test(addr) || addr === '::1' || /^::ffff:127\./.test(addr));

/** The default guard of the write routes until the auth helper's requireAdmin is wired in. */
export const loopbackOnly: preHandlerAsyncHookHandler = async (req: FastifyRequest, reply: FastifyReply) => {
  if (!isLoopback(req.socket.remoteAddress)) {
    return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: 'alert changes are allowed from this host only until login is configured' });
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host = '';
    try {
      host = new URL(origin).host;
    } catch {
      host = '';
    }
    if (host !== req.headers.host) return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: `origin ${origin} may not change alerts` });
  }
  return undefined;
};

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

function unavailable(reply: FastifyReply, message: string) {
  return reply.code(503).send({ statusCode: 503, code: ErrorCodes.INFLUX, error: 'Service Unavailable', message });
}
function bad(reply: FastifyReply, field: string, message: string) {
  return reply.code(400).send({ statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: `${field} ${message}` });
}

export function registerAlertRoutes(app: FastifyInstance, opts: AlertRoutesOptions): void {
  const limited = createRateLimitedLog(opts.log, 30_000);
  const errors = new Counter({ name: 'netmon_dashboard_alert_errors_total', help: 'Alert API requests that failed on the history store or the actions topic', labelNames: ['what'], registers: [opts.registry] });
  const guard = opts.preHandler ?? loopbackOnly;
  function range(q: RangeQuery, reply: FastifyReply): { fromMs: number; toMs: number } | null {
    const toMs = q.to === undefined ? opts.clock.now() : Date.parse(q.to);
    const fromMs = q.from === undefined ? toMs - 86_400_000 : Date.parse(q.from);
    if (Number.isNaN(toMs) || Number.isNaN(fromMs)) {
      void bad(reply, Number.isNaN(toMs) ? 'querystring/to' : 'querystring/from', 'is not a time this server can read');
      return null;
    }
    if (fromMs >= toMs) {
      void bad(reply, 'querystring/to', 'must be after from');
      return null;
    }
    if (toMs - fromMs > MAX_RANGE_MS) {
      void bad(reply, 'querystring/from', 'must be at most 31 days before to');
      return null;
    }
    return { fromMs, toMs };
  }

  function decorate(row: AlertHistoryRow, now: number) {
    const ack = opts.actions?.actions.ackOf(row) ?? null;
    const acked = ack !== null && row.firingSince !== null && ack.firingSince === row.firingSince;
    const silencedBy = opts.actions?.actions.silences().filter((s) => silenceMatches(s, row, now)).map((s) => s.id) ?? [];
    return { ...row, acknowledged: acked ? { note: ack.note, by: ack.by, at: ack.at } : null, silencedBy };
  }

  app.get('/api/alerts/rules', () => opts.ruleStore?.list() ?? opts.rules);
  registerRuleWrites(app, opts.ruleStore ?? null, guard);

  app.get('/api/alerts/active', async (_req, reply) => {
    if (!opts.history) return unavailable(reply, 'no alert history store is configured for this dashboard');
    try {
      const now = opts.clock.now();
      const rows = (await opts.history.latest()).filter((r) => ACTIVE_STATES.has(r.state));
      return rows.sort((a, b) => b.windowStart - a.windowStart).map((r) => decorate(r, now));
    } catch (err) {
      errors.inc({ what: 'active' });
      limited('active', 'warn', { err: errorMessage(err) }, 'active alerts query failed');
      return unavailable(reply, 'the alert history (InfluxDB) is unavailable; try again later');
    }
  });

  app.get<{ Querystring: RangeQuery }>('/api/alerts/history', { schema: { querystring: rangeQuery } }, async (req, reply) => {
    const r = range(req.query, reply);
    if (!r) return reply;
    if (!opts.history) return unavailable(reply, 'no alert history store is configured for this dashboard');
    try {
      return await opts.history.history({ ...r, limit: req.query.limit, ruleId: req.query.rule, deviceId: req.query.device });
    } catch (err) {
      errors.inc({ what: 'history' });
      limited('history', 'warn', { err: errorMessage(err) }, 'alert history query failed');
      return unavailable(reply, 'the alert history (InfluxDB) is unavailable; try again later');
    }
  });

  app.get<{ Querystring: RangeQuery }>('/api/alerts/deliveries', { schema: { querystring: rangeQuery } }, async (req, reply) => {
    const r = range(req.query, reply);
    if (!r) return reply;
    if (!opts.history) return unavailable(reply, 'no alert history store is configured for this dashboard');
    try {
      return await opts.history.deliveries({ ...r, limit: req.query.limit, status: req.query.status });
    } catch (err) {
      errors.inc({ what: 'deliveries' });
      limited('deliveries', 'warn', { err: errorMessage(err) }, 'delivery query failed');
      return unavailable(reply, 'the alert history (InfluxDB) is unavailable; try again later');
    }
  });

  app.get('/api/alerts/silences', (_req, reply) => {
    if (!opts.actions) return unavailable(reply, 'alert actions are not available on this dashboard');
    const now = opts.clock.now();
    return opts.actions.actions.silences().filter((s) => s.until > now);
  });

  app.post<{ Body: AckBody }>('/api/alerts/ack', { preHandler: guard, schema: { body: ackBody } }, async (req, reply) => {
    if (!opts.actions) return unavailable(reply, 'alert actions are not available on this dashboard');
    const b = req.body;
    let firingSince = b.firingSince;
    if (firingSince === undefined) {
      if (!opts.history) return unavailable(reply, 'no alert history store is configured for this dashboard');
      try {
        const row = (await opts.history.latest()).find((r) => r.ruleId === b.ruleId && r.deviceId === b.deviceId && r.ifIndex === b.ifIndex);
        if (!row || row.state !== 'firing' || row.firingSince === null) return bad(reply, 'body/ruleId', `no firing alert of rule ${b.ruleId} on ${b.deviceId}${b.ifIndex === null ? '' : ` ifIndex ${b.ifIndex}`}`);
        firingSince = row.firingSince;
      } catch (err) {
        errors.inc({ what: 'ack' });
        limited('ack', 'warn', { err: errorMessage(err) }, 'active alert lookup failed');
        return unavailable(reply, 'the alert history (InfluxDB) is unavailable; try again later');
      }
    }
    const ack = { kind: 'ack' as const, ruleId: b.ruleId, deviceId: b.deviceId, ifIndex: b.ifIndex, firingSince, note: b.note, by: b.by ?? '', at: opts.clock.now() };
    try {
      await opts.actions.publish(ack);
    } catch (err) {
      errors.inc({ what: 'ack' });
      limited('ack-publish', 'warn', { err: errorMessage(err) }, 'acknowledgement not stored');
      return reply.code(503).send({ statusCode: 503, code: ErrorCodes.KAFKA, error: 'Service Unavailable', message: 'the acknowledgement could not be stored (Kafka); try again' });
    }
    return reply.code(201).send(ack);
  });

  app.post<{ Body: SilenceBody }>('/api/alerts/silences', { preHandler: guard, schema: { body: silenceBody } }, async (req, reply) => {
    if (!opts.actions) return unavailable(reply, 'alert actions are not available on this dashboard');
    const b = req.body;
    const now = opts.clock.now();
    const silence: Silence = { kind: 'silence', id: `s-${now.toString(36)}-${randomBytes(3).toString('hex')}`, until: now + b.minutes * 60_000, note: b.note, by: b.by ?? '', at: now };
    if (b.ruleId !== undefined) silence.ruleId = b.ruleId;
    if (b.deviceId !== undefined) silence.deviceId = b.deviceId;
    if (b.ifIndex !== undefined) silence.ifIndex = b.ifIndex;
    try {
      await opts.actions.publish(silence);
    } catch (err) {
      errors.inc({ what: 'silence' });
      limited('silence-publish', 'warn', { err: errorMessage(err) }, 'silence not stored');
      return reply.code(503).send({ statusCode: 503, code: ErrorCodes.KAFKA, error: 'Service Unavailable', message: 'the silence could not be stored (Kafka); try again' });
    }
    return reply.code(201).send(silence);
  });

  app.delete<{ Params: { id: string } }>('/api/alerts/silences/:id', { preHandler: guard, schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } } } } }, async (req, reply) => {
    if (!opts.actions) return unavailable(reply, 'alert actions are not available on this dashboard');
    if (!opts.actions.actions.silences().some((s) => s.id === req.params.id)) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no silence ${req.params.id}` });
    try {
      await opts.actions.remove(`${SILENCE_KEY_PREFIX}${req.params.id}`);
    } catch (err) {
      errors.inc({ what: 'silence' });
      limited('silence-remove', 'warn', { err: errorMessage(err) }, 'silence not removed');
      return reply.code(503).send({ statusCode: 503, code: ErrorCodes.KAFKA, error: 'Service Unavailable', message: 'the silence could not be removed (Kafka); try again' });
    }
    return reply.code(204).send();
  });
}

// Rule writes: create, replace, delete. The body is checked by the rules
// file's own zod schema (rule-store.ts / alerts-file.ts), so a 400 names the field as `body/<path>`.
const ruleIdParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' } } } as const;
const ruleBody = { type: 'object' } as const;

function ruleError(reply: FastifyReply, err: unknown) {
  if (err instanceof RuleInputError) return bad(reply, `body/${err.field}:`, err.problem);
  if (err instanceof RuleNotFoundError) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: err.message });
  if (err instanceof RuleConflictError || err instanceof RulesFileBrokenError) return reply.code(409).send({ statusCode: 409, code: err.code, error: 'Conflict', message: err.message });
  if (err instanceof RulePublishPendingError) return reply.code(503).send({ statusCode: 503, code: ErrorCodes.KAFKA, error: 'Service Unavailable', message: err.message });
  throw err;
}

function registerRuleWrites(app: FastifyInstance, store: RuleStore | null, guard: preHandlerAsyncHookHandler | preHandlerHookHandler): void {
  const none = (reply: FastifyReply) => reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: 'alert rules are read-only here: no rules file (run with a config file, and alerts.rulesFile not "")' });
  app.post<{ Body: unknown }>('/api/alerts/rules', { preHandler: guard, schema: { body: ruleBody } }, async (req, reply) => {
    if (!store) return none(reply);
    try {
      return reply.code(201).send(await store.create(req.body));
    } catch (err) {
      return ruleError(reply, err);
    }
  });
  app.put<{ Params: { id: string }; Body: unknown }>('/api/alerts/rules/:id', { preHandler: guard, schema: { params: ruleIdParams, body: ruleBody } }, async (req, reply) => {
    if (!store) return none(reply);
    try {
      return await store.replace(req.params.id, req.body);
    } catch (err) {
      return ruleError(reply, err);
    }
  });
  app.delete<{ Params: { id: string } }>('/api/alerts/rules/:id', { preHandler: guard, schema: { params: ruleIdParams } }, async (req, reply) => {
    if (!store) return none(reply);
    try {
      await store.remove(req.params.id);
      return reply.code(204).send();
    } catch (err) {
      return ruleError(reply, err);
    }
  });
}

/** The plugin form, for `app.register(alertRoutesPlugin, options)`. */
export function alertRoutesPlugin(app: FastifyInstance, opts: AlertRoutesOptions, done: (err?: Error) => void): void {
  registerAlertRoutes(app, opts);
  done();
}
