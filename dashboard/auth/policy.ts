// Who may write: the pure decisions behind the dashboard's authentication. Rules:
// - a server reachable from other machines (non-loopback listen address) must have a credential
//   (dashboard.auth.adminPassword or adminToken), else it refuses to start;
// - a write is allowed with `Authorization: Bearer <adminToken>`, or with a login session cookie
//   plus its CSRF token in the x-csrf-token header;
// - with no credential configured (possible only on loopback), writes are allowed from loopback
//   clients only, and from a browser only when the page is the dashboard's own (Origin check);
// - any write that carries an Origin must come from the dashboard's own origin or the allow list.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ConfigError } from '../../common/errors.js';

export interface Credentials {
  password: string | null;
  token: string | null;
}

export function hasCredentials(c: Credentials): boolean {
  return c.password !== null || c.token !== null;
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** Throws the ConfigError that stops start-up when the dashboard would be open to the network. */
export function checkListenSafety(host: string, c: Credentials): void {
  if (isLoopbackHost(host) || hasCredentials(c)) return;
  throw new ConfigError(
    'dashboard.auth',
    `dashboard.host is ${JSON.stringify(host)}, which other machines can reach, and no admin credential is configured: set dashboard.auth.adminPassword and/or dashboard.auth.adminToken (e.g. "\${NETMON_ADMIN_PASSWORD}"), or listen on 127.0.0.1`,
  );
}

/** Constant-time comparison of a presented secret with the configured one. */
export function secretMatches(presented: string, expected: string | null): boolean {
  if (expected === null) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * An Origin header is fine when it is absent (non-browser clients), the server's own origin (the
 * Host header the request was sent to), or in the allow list.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowList: readonly string[]): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (host && url.host.toLowerCase() === host.toLowerCase()) return true;
  return allowList.some((a) => {
    try {
      return new URL(a).origin === url.origin;
    } catch {
      return false;
    }
  });
}

export interface WriteRequest {
  /** The token after "Bearer ", when an Authorization header was sent. */
  bearer: string | undefined;
  /** The CSRF token of the request's login session, or null without a valid session. */
  sessionCsrf: string | null;
  /** The x-csrf-token header. */
  csrfHeader: string | undefined;
  remoteLoopback: boolean;
  originOk: boolean;
}

export type WriteDecision = { ok: true; via: 'token' | 'session' | 'loopback' } | { ok: false; status: 401 | 403; message: string };

export function decideWrite(r: WriteRequest, c: Credentials): WriteDecision {
  if (!r.originOk) return { ok: false, status: 403, message: 'this request comes from a page of another origin' };
  if (r.bearer !== undefined) {
    if (c.token !== null && secretMatches(r.bearer, c.token)) return { ok: true, via: 'token' };
    return { ok: false, status: 401, message: c.token === null ? 'bearer tokens are not enabled (set dashboard.auth.adminToken)' : 'invalid bearer token' };
  }
  if (r.sessionCsrf !== null) {
    if (r.csrfHeader !== undefined && secretMatches(r.csrfHeader, r.sessionCsrf)) return { ok: true, via: 'session' };
    return { ok: false, status: 403, message: 'missing or wrong CSRF token (send the x-csrf-token header from GET /api/auth/session)' };
  }
  if (!hasCredentials(c)) {
    if (r.remoteLoopback) return { ok: true, via: 'loopback' };
    return { ok: false, status: 401, message: 'no admin credential is configured: writes are allowed from this machine only' };
  }
  return { ok: false, status: 401, message: 'authentication required: log in, or send Authorization: Bearer <adminToken>' };
}
