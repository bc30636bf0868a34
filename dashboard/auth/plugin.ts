// The dashboard's security plumbing: security headers and the content security policy
// (@fastify/helmet), the login form's session cookie (HttpOnly, SameSite=Strict) with a CSRF token
// per session, the rate limit on login (@fastify/rate-limit) and the write guard for every changing
// route. (/live checks the Origin in the live hub: own origin, plus dashboard.auth.allowedOrigins
// which server.ts lets through.) The decisions themselves are in policy.ts; this file only wires them into fastify. Sessions live in memory: a restart logs out.
// Refusals (401, 403, 429) are catalogue errors, answered by dashboard/http-errors.ts.
import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { NetmonConfig } from '../../common/config/schema.js';
import type { Clock } from '../../common/clock.js';
import { ErrorCodes, NetmonError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { Counter, type Registry } from '../../common/metrics.js';
import { errorReplySchema } from '../http-errors.js';
import { CSP_DIRECTIVES } from '../static-assets.js';
import { checkListenSafety, decideWrite, hasCredentials, isLoopbackHost, originAllowed, secretMatches, type Credentials, type WriteDecision } from './policy.js';

export const SESSION_COOKIE = 'netmon_session';
export const CSRF_HEADER = 'x-csrf-token';
const MAX_SESSIONS = 1000;

export interface Security {
  /** preHandler for routes that change something. */
  guard: preHandlerHookHandler;
  credentials: Credentials;
}

interface Session {
  csrf: string;
  expiresAt: number;
}

export function credentialsOf(auth: NetmonConfig['dashboard']['auth']): Credentials {
  return { password: auth.adminPassword?.reveal() ?? null, token: auth.adminToken?.reveal() ?? null };
}

/** Refuses a dashboard that listens beyond loopback without a credential (a ConfigError). */
export function assertSafeListen(dashboard: NetmonConfig['dashboard']): void {
  checkListenSafety(dashboard.host, credentialsOf(dashboard.auth));
}

/** A refused write as the catalogue error of its status. */
function refusal(decision: Extract<WriteDecision, { ok: false }>): NetmonError {
  return new NetmonError(decision.status === 401 ? ErrorCodes.UNAUTHORIZED : ErrorCodes.FORBIDDEN, decision.message);
}

const unauthorized = (message: string) => new NetmonError(ErrorCodes.UNAUTHORIZED, message);
const forbidden = (message: string) => new NetmonError(ErrorCodes.FORBIDDEN, message);

function remoteIsLoopback(req: FastifyRequest): boolean {
  const ip = req.socket.remoteAddress ?? '';
  return isLoopbackHost(ip);
}

export function registerSecurity(app: FastifyInstance, log: Logger, dashboard: NetmonConfig['dashboard'], deps: { registry: Registry; clock: Clock }): Security {
  const auth = dashboard.auth;
  const credentials = credentialsOf(auth);
  const sessions = new Map<string, Session>();
  const denied = new Counter({ name: 'netmon_dashboard_writes_denied_total', help: 'Write requests refused (401/403)', labelNames: ['status'], registers: [deps.registry] });
  const logins = new Counter({ name: 'netmon_dashboard_logins_total', help: 'Login attempts by result', labelNames: ['result'], registers: [deps.registry] });

  void app.register(cookie);
  void app.register(helmet, {
    // The pages' one policy (static-assets.ts) on every response; /docs widens it for Swagger UI (openapi.ts).
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    // Served over plain HTTP on a LAN as often as not: no HSTS, no upgrade-insecure-requests.
    strictTransportSecurity: false,
  });
  void app.register(rateLimit, { global: false, errorResponseBuilder: (_req, ctx) => new NetmonError(ErrorCodes.RATE_LIMITED, `Rate limit exceeded, retry in ${ctx.after}`) });

  function sessionOf(req: FastifyRequest): Session | null {
    const sid = req.cookies[SESSION_COOKIE];
    if (!sid) return null;
    const s = sessions.get(sid);
    if (!s) return null;
    if (s.expiresAt <= deps.clock.now()) {
      sessions.delete(sid);
      return null;
    }
    return s;
  }

  const guard: preHandlerHookHandler = (req, reply, done) => {
    const authz = req.headers.authorization;
    const bearer = authz && /^bearer\s+/i.test(authz) ? authz.replace(/^bearer\s+/i, '').trim() : undefined;
    const csrfHeader = req.headers[CSRF_HEADER];
    const decision = decideWrite(
      {
        bearer,
        sessionCsrf: sessionOf(req)?.csrf ?? null,
        csrfHeader: typeof csrfHeader === 'string' ? csrfHeader : undefined,
        remoteLoopback: remoteIsLoopback(req),
        originOk: originAllowed(req.headers.origin, req.headers.host, auth.allowedOrigins),
      },
      credentials,
    );
    if (decision.ok) return done();
    denied.inc({ status: String(decision.status) });
    done(refusal(decision));
  };

  // Routes in their own plugin, registered after cookie and rate-limit so their hooks see them.
  void app.register((scoped, _opts, done) => {
    registerAuthRoutes(scoped);
    done();
  });

  function registerAuthRoutes(app: FastifyInstance): void {
  const sessionReply = {
    type: 'object',
    properties: {
      authenticated: { type: 'boolean', description: 'Writes are allowed for this client' },
      mode: { type: 'string', enum: ['credentials', 'loopback-open'], description: 'credentials: log in first; loopback-open: no credential configured, writes from this machine only' },
      csrfToken: { type: ['string', 'null'], description: `Send it as the ${CSRF_HEADER} header on every write` },
    },
  } as const;
  const tags = ['auth'];

  app.get('/api/auth/session', { schema: { tags, summary: 'Whether this client may write, and its CSRF token', response: { 200: sessionReply } } }, (req) => {
    const s = sessionOf(req);
    if (s) return { authenticated: true, mode: 'credentials', csrfToken: s.csrf };
    if (!hasCredentials(credentials)) return { authenticated: remoteIsLoopback(req), mode: 'loopback-open', csrfToken: null };
    return { authenticated: false, mode: 'credentials', csrfToken: null };
  });

  app.post<{ Body: { password: string } }>(
    '/api/auth/login',
    {
      config: { rateLimit: { max: auth.loginAttemptsPerMinute, timeWindow: 60_000 } },
      schema: {
        tags,
        summary: 'Log in with the admin password (or token): sets the session cookie, returns the CSRF token',
        body: { type: 'object', required: ['password'], additionalProperties: false, properties: { password: { type: 'string', minLength: 1, maxLength: 1024 } } },
        response: { 200: sessionReply, 401: errorReplySchema },
      },
    },
    (req, reply) => {
      if (!originAllowed(req.headers.origin, req.headers.host, auth.allowedOrigins)) throw forbidden('this request comes from a page of another origin');
      const pw = req.body.password;
      if (!hasCredentials(credentials)) {
        logins.inc({ result: 'disabled' });
        throw unauthorized('no admin credential is configured (dashboard.auth.adminPassword); writes are allowed from this machine without login');
      }
      if (!secretMatches(pw, credentials.password) && !secretMatches(pw, credentials.token)) {
        logins.inc({ result: 'failed' });
        log.warn({ remote: req.socket.remoteAddress }, 'failed dashboard login');
        throw unauthorized('wrong password');
      }
      logins.inc({ result: 'ok' });
      if (sessions.size >= MAX_SESSIONS) {
        const oldest = sessions.keys().next().value;
        if (oldest !== undefined) sessions.delete(oldest);
      }
      const sid = randomBytes(32).toString('base64url');
      const csrf = randomBytes(32).toString('base64url');
      sessions.set(sid, { csrf, expiresAt: deps.clock.now() + auth.sessionMinutes * 60_000 });
      void reply.setCookie(SESSION_COOKIE, sid, { httpOnly: true, sameSite: 'strict', path: '/', secure: req.protocol === 'https', maxAge: auth.sessionMinutes * 60 });
      return { authenticated: true, mode: 'credentials', csrfToken: csrf };
    },
  );

  app.post('/api/auth/logout', { schema: { tags, summary: 'End the login session', response: { 204: { type: 'null' } } } }, (req, reply) => {
    const sid = req.cookies[SESSION_COOKIE];
    if (sid) sessions.delete(sid);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });
  }

  return { guard, credentials };
}
