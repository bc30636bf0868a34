// Request-level checks of the dashboard's security that are not about roles (those are roles.ts):
// which addresses count as this machine, and which browser origins may send writes and open /live.
// Rules: an Origin header is fine when absent (non-browser clients), the server's own origin (the
// Host the request was sent to) or in dashboard.auth.allowedOrigins; a cookie or proxy session
// writes only with its CSRF token (a bearer token is not ambient, so it needs none).
import { isIP } from 'node:net';
import { secretMatches } from './passwords.js';

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

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

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A refusal message when a request of an ambient session (cookie, proxy) changes something without its CSRF token, else null. */
export function csrfProblem(method: string, via: 'session' | 'proxy' | 'token' | 'anonymous', expected: string | null, header: string | undefined): string | null {
  if (READS.has(method) || (via !== 'session' && via !== 'proxy')) return null;
  if (expected !== null && header !== undefined && secretMatches(header, expected)) return null;
  return 'missing or wrong CSRF token (send the x-csrf-token header from GET /api/auth/session)';
}
