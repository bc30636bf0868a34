// The dashboard's security plumbing, wired into fastify: security headers and the content security
// policy (@fastify/helmet), who a request is (bearer token, trusted proxy header, session cookie,
// or the configured anonymous role) and whether its route lets it in, the login/logout/session
// routes, and the limits on wrong tokens and failed logins. Rules: every route declares its role
// in `config.role` (roles.ts); a route without one stops the start (declareRoles); one onRequest
// hook decides, before the body is read; writes of a cookie or proxy session need the CSRF token
// and a write from a browser page needs an allowed Origin. /live checks the Origin in the live hub
// (own origin, plus dashboard.auth.allowedOrigins which server.ts lets through). Refusals (401,
// 403, 429) are catalogue errors, answered by dashboard/http-errors.ts.
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { NetmonConfig } from '../../common/config/schema.js';
import type { Clock } from '../../common/clock.js';
import { ConfigError, ErrorCodes, NetmonError } from '../../common/errors.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';
import { Counter, type Registry } from '../../common/metrics.js';
import { errorReplySchema } from '../http-errors.js';
import { DOCS_PREFIX } from '../openapi.js';
import { CSP_DIRECTIVES } from '../static-assets.js';
import type { UserStore } from '../users/user-store.js';
import { loadSessionKeys } from '../users/session-keys.js';
import { createFailureLimiter } from './failure-limiter.js';
import { csrfProblem, originAllowed } from './policy.js';
import { createProxyTrust, parseGroups, proxyRole, proxyUserName } from './proxy-trust.js';
import { decideAccess, isRequirement, REQUIREMENTS, type Identity, type Requirement } from './roles.js';
import { newSession, openSession, proxyCsrf, sealSession, sessionState, touchSession, type SessionData } from './session-cookie.js';

export const SESSION_COOKIE = 'netmon_session';
export const CSRF_HEADER = 'x-csrf-token';
/** Swagger UI's routes are the plugin's: they get this role here, the one exception to "declared on the route". */
const DOCS_ROLE: Requirement = 'viewer';
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (roles.ts); every route must say. */
    role?: Requirement;
  }
  interface FastifyRequest {
    /** Who this request is (null: nobody) and the CSRF token its writes must carry. */
    auth: { who: Identity | null; csrf: string | null; session: SessionData | null };
  }
}

/** Makes every route declare its role: a route registered without one is a start-up error. Call before any route. */
export function declareRoles(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { role?: unknown };
    if (config.role === undefined && (route.url === DOCS_PREFIX || route.url.startsWith(`${DOCS_PREFIX}/`))) {
      route.config = { ...route.config, role: DOCS_ROLE };
      return;
    }
    if (!isRequirement(config.role)) {
      throw new ConfigError('dashboard', `route ${String(route.method)} ${route.url} declares no role (config.role: ${REQUIREMENTS.join(', ')})`);
    }
  });
}

const clientOf = (req: FastifyRequest) => req.socket.remoteAddress ?? 'unknown';

export function registerSecurity(app: FastifyInstance, log: Logger, dashboard: NetmonConfig['dashboard'], deps: { registry: Registry; clock: Clock; users: UserStore }): void {
  const auth = dashboard.auth;
  const { users, clock } = deps;
  const keys = loadSessionKeys(auth.sessionKeys, users.file);
  const proxy = auth.proxy ? { ...auth.proxy, trust: createProxyTrust(auth.proxy.trustedProxies), header: auth.proxy.header.toLowerCase(), groupsHeader: auth.proxy.groupsHeader.toLowerCase() } : null;
  const tokenLimiter = createFailureLimiter({ max: auth.tokenFailuresPerMinute, windowMs: 60_000 });
  const loginLimiter = createFailureLimiter({ max: auth.loginAttemptsPerMinute, windowMs: 60_000 });
  const limitedLog = createRateLimitedLog(log, 30_000);
  const denied = new Counter({ name: 'netmon_dashboard_requests_denied_total', help: 'Requests refused by the role check (401: no identity, 403: role too low, CSRF or Origin)', labelNames: ['status'], registers: [deps.registry] });
  const failures = new Counter({ name: 'netmon_dashboard_auth_failures_total', help: 'Failed authentications: wrong bearer token, failed login, proxy header from an untrusted peer', labelNames: ['kind'], registers: [deps.registry] });
  const limited = new Counter({ name: 'netmon_dashboard_auth_rate_limited_total', help: 'Authentication attempts refused with 429 (too many failures from the client address)', labelNames: ['kind'], registers: [deps.registry] });
  const logins = new Counter({ name: 'netmon_dashboard_logins_total', help: 'Login attempts by result', labelNames: ['result'], registers: [deps.registry] });
  const lifetimeMs = auth.sessionMinutes * 60_000;
  const idleMs = auth.idleMinutes * 60_000;

  void app.register(cookie);
  void app.register(helmet, {
    // The pages' one policy (static-assets.ts) on every response; /docs widens it for Swagger UI (openapi.ts).
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    // Served over plain HTTP on a LAN as often as not: no HSTS, no upgrade-insecure-requests.
    strictTransportSecurity: false,
  });
  // For routes that want a plain request rate (config.rateLimit); authentication failures have their own limiter.
  void app.register(rateLimit, { global: false, errorResponseBuilder: (_req, ctx) => new NetmonError(ErrorCodes.RATE_LIMITED, `Rate limit exceeded, retry in ${ctx.after}`) });
  app.decorateRequest('auth', null as unknown as FastifyRequest['auth']);

  function tooMany(reply: FastifyReply, kind: 'token' | 'login', ms: number): NetmonError {
    limited.inc({ kind });
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    void reply.header('retry-after', String(seconds));
    return new NetmonError(ErrorCodes.RATE_LIMITED, `too many failed ${kind === 'token' ? 'bearer tokens' : 'logins'} from this address; retry in ${seconds} s`);
  }

  function setSessionCookie(req: FastifyRequest, reply: FastifyReply, s: SessionData): void {
    void reply.setCookie(SESSION_COOKIE, sealSession(s, keys[0]), { httpOnly: true, sameSite: 'strict', path: '/', secure: req.protocol === 'https', maxAge: Math.max(1, Math.floor((s.exp - clock.now()) / 1000)) });
  }

  function fromBearer(req: FastifyRequest, reply: FastifyReply, token: string): Identity {
    const client = clientOf(req);
    const now = clock.now();
    const wait = tokenLimiter.blockedFor(client, now);
    if (wait > 0) throw tooMany(reply, 'token', wait);
    const found = users.bearer(token);
    if (found) return { name: found.name, via: 'token', role: found.role };
    failures.inc({ kind: 'token' });
    limitedLog(`token:${client}`, 'warn', { remote: client }, 'wrong bearer token');
    const after = tokenLimiter.fail(client, now);
    if (after > 0) throw tooMany(reply, 'token', after);
    throw new NetmonError(ErrorCodes.UNAUTHORIZED, 'invalid bearer token');
  }

  function fromProxy(req: FastifyRequest): { who: Identity; csrf: string } | null {
    if (!proxy) return null;
    const raw = req.headers[proxy.header];
    if (raw === undefined) return null;
    const peer = clientOf(req);
    if (!proxy.trust.trusts(peer)) {
      failures.inc({ kind: 'proxy-untrusted' });
      limitedLog(`proxy:${peer}`, 'warn', { remote: peer, header: proxy.header }, 'proxy user header from an address not in dashboard.auth.proxy.trustedProxies: ignored');
      return null;
    }
    const name = proxyUserName(Array.isArray(raw) ? raw[0] : raw);
    if (!name) return null;
    const groupsRaw = req.headers[proxy.groupsHeader];
    const role = proxyRole(parseGroups(Array.isArray(groupsRaw) ? groupsRaw.join(',') : groupsRaw), proxy.roleMap, proxy.defaultRole);
    return { who: { name, via: 'proxy', role }, csrf: proxyCsrf(name, keys[0]) };
  }

  function fromCookie(req: FastifyRequest, reply: FastifyReply): { who: Identity; csrf: string; session: SessionData } | null {
    const text = req.cookies[SESSION_COOKIE];
    if (!text) return null;
    const s = openSession(text, keys);
    const now = clock.now();
    const account = s && sessionState(s, now, idleMs) === 'valid' ? users.account(s.user, s.uid) : null;
    if (!s || !account || account.epoch !== s.epoch) {
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return null;
    }
    const touched = touchSession(s, now);
    if (touched) setSessionCookie(req, reply, touched);
    return { who: { name: account.name, via: 'session', role: account.role }, csrf: s.csrf, session: s };
  }

  function identify(req: FastifyRequest, reply: FastifyReply): FastifyRequest['auth'] {
    const authz = req.headers.authorization;
    if (authz !== undefined && /^bearer\s+/i.test(authz)) return { who: fromBearer(req, reply, authz.replace(/^bearer\s+/i, '').trim()), csrf: null, session: null };
    const viaProxy = fromProxy(req);
    if (viaProxy) return { ...viaProxy, session: null };
    const viaCookie = fromCookie(req, reply);
    if (viaCookie) return viaCookie;
    return { who: auth.anonymousRole ? { name: 'anonymous', via: 'anonymous', role: auth.anonymousRole } : null, csrf: null, session: null };
  }

  app.addHook('onRequest', async (req, reply) => {
    const need = req.routeOptions.config.role;
    req.auth = { who: null, csrf: null, session: null };
    // No role: the not-found handler (every route has one, declareRoles saw to it).
    if (need === undefined) return;
    req.auth = identify(req, reply);
    const decision = decideAccess(need, req.auth.who);
    if (!decision.ok) {
      denied.inc({ status: String(decision.status) });
      throw new NetmonError(decision.status === 401 ? ErrorCodes.UNAUTHORIZED : ErrorCodes.FORBIDDEN, decision.message);
    }
    if (need === 'anonymous' || !req.auth.who || READS.has(req.method)) return;
    // Reads from another origin are the browser's same-origin policy's (and /live's Origin check in the live hub).
    const problem = originAllowed(req.headers.origin, req.headers.host, auth.allowedOrigins) ? csrfProblem(req.method, req.auth.who.via, req.auth.csrf, headerText(req.headers[CSRF_HEADER])) : 'this request comes from a page of another origin';
    if (problem) {
      denied.inc({ status: '403' });
      throw new NetmonError(ErrorCodes.FORBIDDEN, problem);
    }
  });

  void app.register((scoped, _opts, done) => {
    registerAuthRoutes(scoped);
    done();
  });

  function registerAuthRoutes(app: FastifyInstance): void {
    const sessionReply = {
      type: 'object',
      properties: {
        authenticated: { type: 'boolean', description: 'This client is someone (logged in, a token, the proxy, or the anonymous role)' },
        user: { type: ['string', 'null'] },
        role: { type: ['string', 'null'], enum: ['viewer', 'operator', 'admin', null], description: 'What this client may do (docs/security.md)' },
        via: { type: ['string', 'null'], enum: ['session', 'token', 'proxy', 'anonymous', null] },
        csrfToken: { type: ['string', 'null'], description: `Send it as the ${CSRF_HEADER} header on every write` },
      },
    } as const;
    const tags = ['auth'];
    const config = { role: 'anonymous' } as const;
    const sessionOf = (a: FastifyRequest['auth']) => ({ authenticated: a.who !== null, user: a.who?.name ?? null, role: a.who?.role ?? null, via: a.who?.via ?? null, csrfToken: a.csrf });

    app.get('/api/auth/session', { config, schema: { tags, summary: 'Who this client is, its role, and its CSRF token', response: { 200: sessionReply } } }, (req) => sessionOf(req.auth));

    app.post<{ Body: { username?: string; password: string } }>(
      '/api/auth/login',
      {
        config,
        schema: {
          tags,
          summary: 'Log in with a user name and password (no name: "admin"): sets the session cookie, returns the CSRF token',
          body: { type: 'object', required: ['password'], additionalProperties: false, properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 1024 } } },
          response: { 200: sessionReply, 401: errorReplySchema, 429: errorReplySchema },
        },
      },
      async (req, reply) => {
        if (!originAllowed(req.headers.origin, req.headers.host, auth.allowedOrigins)) throw new NetmonError(ErrorCodes.FORBIDDEN, 'this request comes from a page of another origin');
        const client = clientOf(req);
        const wait = loginLimiter.blockedFor(client, clock.now());
        if (wait > 0) {
          logins.inc({ result: 'limited' });
          throw tooMany(reply, 'login', wait);
        }
        const name = req.body.username ?? 'admin';
        const account = await users.login(name, req.body.password);
        if (!account) {
          logins.inc({ result: 'failed' });
          failures.inc({ kind: 'login' });
          limitedLog(`login:${client}`, 'warn', { remote: client }, 'failed dashboard login');
          const after = loginLimiter.fail(client, clock.now());
          if (after > 0) throw tooMany(reply, 'login', after);
          throw new NetmonError(ErrorCodes.UNAUTHORIZED, 'wrong user name or password');
        }
        logins.inc({ result: 'ok' });
        const s = newSession(account, clock.now(), lifetimeMs);
        setSessionCookie(req, reply, s);
        log.info({ user: account.name, remote: client }, 'dashboard login');
        return sessionOf({ who: { name: account.name, via: 'session', role: account.role }, csrf: s.csrf, session: s });
      },
    );

    app.post('/api/auth/logout', { config, schema: { tags, summary: 'End the login session: every session of this user, on every dashboard instance', response: { 204: { type: 'null' }, 403: errorReplySchema } } }, async (req, reply) => {
      const a = req.auth;
      if (a.session && a.who) {
        const problem = csrfProblem(req.method, 'session', a.csrf, headerText(req.headers[CSRF_HEADER]));
        if (problem) throw new NetmonError(ErrorCodes.FORBIDDEN, problem);
        users.endSessions(a.session.user, a.session.uid);
        log.info({ user: a.who.name }, 'dashboard logout');
        // Shared instances: the answer waits until the end of the session is on its way to the others.
        await users.settled();
      }
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    });
  }
}

function headerText(h: string | string[] | undefined): string | undefined {
  return typeof h === 'string' ? h : undefined;
}
