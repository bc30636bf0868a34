// The dashboard's one error handler: every failed request answers
// `{statusCode, code, error, message, field?}`. Rules: route handlers and hooks throw, nothing else
// builds an error reply. A NetmonError answers the status its code has in the catalogue
// (common/errors.ts) with its own message, which its raiser wrote for the client; fastify's own
// client errors (JSON-schema validation, FST_ERR_VALIDATION with the field path first, e.g.
// `body/snmp.community ...`; unreadable JSON; a body too large) keep their status, code and message;
// anything else is a 500 that names nothing internal, its stack in the log. Bad input answers with
// fastify's validation code whether a schema or one of netmon's checks found it, so a client knows
// every bad-input 400 by one code (as the replies did before the catalogue).
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes, InputError, NetmonError } from '../common/errors.js';

export interface ErrorReply {
  statusCode: number;
  code?: string;
  error: string;
  message: string;
  /** The bad or clashing field, where the error names one (`snmp.community`, `id`, `line 3`). */
  field?: string;
}

/** The reply's JSON schema, for routes that document their error answers. */
export const errorReplySchema = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, code: { type: 'string' }, error: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
} as const;

export const VALIDATION_CODE = 'FST_ERR_VALIDATION';
export const INTERNAL_MESSAGE = 'the request failed on the server; the cause is in its log';

type RequestPart = 'body' | 'querystring' | 'params';

/** A check of a request part that a JSON schema cannot make (to after from), worded as fastify words its schema errors: `querystring/to must be after from`. */
export function invalid(part: RequestPart, field: string, problem: string): InputError {
  return new InputError(field, problem, { message: `${part}/${field} ${problem}` });
}

/**
 * An InputError from a check of the request body (the config schema behind a store, say) gets the
 * part in front of its field, where fastify's schema errors have it: `body/snmp.community: ...`.
 * Any other error is returned as it is.
 */
export function inBody(err: unknown): unknown {
  return err instanceof InputError ? new InputError(err.field, err.problem, { message: `body/${err.message}`, cause: err }) : err;
}

/** inBody as a rejection handler: `await store.create(req.body).catch(throwInBody)`. */
export function throwInBody(err: unknown): never {
  throw inBody(err);
}

/** A 4xx status carried by an error from fastify or a plugin, else null. */
function clientStatus(err: unknown): number | null {
  if (!(err instanceof Error)) return null;
  const { statusCode } = err as { statusCode?: unknown };
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 ? statusCode : null;
}

/** How a failed request answers (pure: the mapping, without a server). */
export function errorReply(err: unknown): ErrorReply {
  if (err instanceof NetmonError) {
    const statusCode = err.httpStatus;
    const out: ErrorReply = { statusCode, code: err.code === ErrorCodes.INPUT ? VALIDATION_CODE : err.code, error: STATUS_CODES[statusCode] ?? 'Error', message: err.message };
    const { field } = err as { field?: unknown };
    if (typeof field === 'string') out.field = field;
    return out;
  }
  const status = clientStatus(err);
  if (status !== null) {
    const { code, message } = err as Error & { code?: unknown };
    return { statusCode: status, ...(typeof code === 'string' ? { code } : {}), error: STATUS_CODES[status] ?? 'Error', message };
  }
  return { statusCode: 500, code: ErrorCodes.INTERNAL, error: 'Internal Server Error', message: INTERNAL_MESSAGE };
}

export function handleError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const body = errorReply(err);
  // Failures nobody foresaw get their stack logged; the others were counted and logged (at a
  // limited rate) where they were raised, so here they are one line like a request's.
  if (body.code === ErrorCodes.INTERNAL) req.log.error({ err }, 'request failed');
  else req.log.info({ statusCode: body.statusCode, code: body.code }, body.message);
  return reply.code(body.statusCode).send(body);
}

/** Makes handleError the error handler of `app` and of every plugin registered on it afterwards. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(handleError);
}
