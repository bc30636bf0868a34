// Which Host and Origin headers the dashboard answers: the pure decision behind its DNS-rebinding
// defence (server.ts refuses every other request, HTTP and the /live upgrade alike, before any route).
// Rules:
// - a Host that is an IP address is allowed: DNS rebinding needs a name (the page's origin is the
//   name the attacker's DNS answers for), and a browser that sent an address was sent to us;
// - so is localhost and any *.localhost name (browsers resolve them to loopback themselves, no DNS);
// - a name is allowed only when configured: the listen address, dashboard.publicUrl's host, and
//   dashboard.allowedHosts ("name" matches any port, "name:port" only that port);
// - a request without a Host header is refused (HTTP/1.1 requires one);
// - an Origin, when present, must be http(s) with an allowed host, or one of
//   dashboard.auth.allowedOrigins: it is compared with the allow-list, never with the request's own
//   Host (which an attacker's page chooses through its DNS name).
import { isIP } from 'node:net';

export interface HostPolicyOptions {
  /** dashboard.host, the listen address. */
  listenHost: string;
  /** dashboard.publicUrl. */
  publicUrl?: string;
  /** dashboard.allowedHosts. */
  allowedHosts: readonly string[];
  /** dashboard.auth.allowedOrigins (scheme://host:port). */
  allowedOrigins: readonly string[];
}

export type HostDecision = { ok: true } | { ok: false; reason: 'host' | 'origin'; message: string };

export interface HostPolicy {
  /** The decision for a request's Host and Origin headers. */
  check(host: string | undefined, origin: string | undefined): HostDecision;
  /** Whether a present Origin is allowed (absent: true). */
  originAllowed(origin: string | undefined): boolean;
  /** The configured names, for messages and the docs. */
  readonly names: readonly string[];
}

/** A Host header (or host[:port]) split into a lowercased host name (IPv6 without brackets) and a port; null when unreadable. */
export function parseHost(text: string): { name: string; port: number | null } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/@]+))(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m) return null;
  const name = (m[1] ?? m[2]).toLowerCase().replace(/\.$/, '');
  const port = m[3] === undefined ? null : Number(m[3]);
  if (name === '' || (port !== null && port > 65535)) return null;
  return { name, port };
}

const isLocalhostName = (name: string) => name === 'localhost' || name.endsWith('.localhost');

/** An address of every interface: not a name anybody reaches the dashboard by. */
const WILDCARD = new Set(['0.0.0.0', '::', '']);

export function createHostPolicy(opts: HostPolicyOptions): HostPolicy {
  const entries: { name: string; port: number | null }[] = [];
  const add = (text: string) => {
    const h = parseHost(text);
    if (h && !WILDCARD.has(h.name)) entries.push(h);
  };
  add(opts.listenHost);
  for (const h of opts.allowedHosts) add(h);
  let publicOrigin: string | null = null;
  if (opts.publicUrl) {
    const u = new URL(opts.publicUrl);
    entries.push({ name: u.hostname.replace(/^\[|\]$/g, '').toLowerCase(), port: null });
    publicOrigin = u.origin;
  }
  const extraOrigins = new Set(opts.allowedOrigins.flatMap((o) => {
    try {
      return [new URL(o).origin];
    } catch {
      return [];
    }
  }));
  if (publicOrigin) extraOrigins.add(publicOrigin);

  function hostAllowed(h: { name: string; port: number | null }): boolean {
    if (isIP(h.name) !== 0 || isLocalhostName(h.name)) return true;
    return entries.some((e) => e.name === h.name && (e.port === null || e.port === h.port));
  }

  function originAllowed(origin: string | undefined): boolean {
    if (origin === undefined) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // "null" (sandboxed frames, file:) and anything unreadable
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (extraOrigins.has(url.origin)) return true;
    const h = parseHost(url.host);
    return h !== null && hostAllowed(h);
  }

  return {
    names: entries.map((e) => (e.port === null ? e.name : `${e.name}:${e.port}`)),
    originAllowed,
    check(host, origin) {
      const h = host === undefined ? null : parseHost(host);
      if (!h || !hostAllowed(h)) {
        return { ok: false, reason: 'host', message: `this dashboard does not answer to the name ${JSON.stringify(host ?? '')} (Host header); add it to dashboard.allowedHosts or dashboard.publicUrl if it is really this dashboard's` };
      }
      if (!originAllowed(origin)) return { ok: false, reason: 'origin', message: `requests from pages of ${JSON.stringify(origin)} are not allowed (Origin header); list it in dashboard.auth.allowedOrigins if it should be` };
      return { ok: true };
    },
  };
}
