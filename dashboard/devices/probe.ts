// "Test connection" and live interface discovery: one SNMP exchange with a (possibly unsaved)
// device through the session code the collector polls with (common/snmp), so the answer is what
// the collector would get.
// Reads sysName, sysDescr and the interface table's names/types/speeds/status. Bounded: the
// session's timeout and retries, a cap on walk requests, and a rate limit per client address
// (dashboard.limits.probesPerMinute; PROBE_ROUTES and the limiter below, applied by server.ts).
import type { DeviceConfig } from '../../common/config/schema.js';
import { ErrorCodes, NetmonError, errorMessage } from '../../common/errors.js';
import { COLUMNS, SMI, toOperStatus, toText, toUnsigned } from '../../common/snmp/if-mib.js';
import { createNetSnmpSession, type SessionDefaults, type SnmpSession } from '../../common/snmp/session.js';
import { walkColumns } from '../../common/snmp/walker.js';

const SYS_DESCR = '1.3.6.1.2.1.1.1';
const SYS_NAME = '1.3.6.1.2.1.1.5';
const PROBE_COLUMNS = ['ifName', 'ifDescr', 'ifType', 'ifHighSpeed', 'ifSpeed', 'ifAdminStatus', 'ifOperStatus', 'ifAlias'] as const;

export interface ProbedInterface {
  ifIndex: number;
  ifName: string;
  ifDescr: string;
  ifAlias: string;
  ifType: number | null;
  /** bit/s, from ifHighSpeed when present, else ifSpeed; null when unknown. */
  speed: number | null;
  adminStatus: string;
  operStatus: string;
}

export interface ProbeResult {
  sysName: string;
  sysDescr: string;
  interfaceCount: number;
  interfaces: ProbedInterface[];
}

export interface ProbeFailure {
  code: string;
  message: string;
}

export type SessionOpener = (device: DeviceConfig, defaults: SessionDefaults, now: () => number) => SnmpSession;

function text(vb: { oid: string; type: number; value: unknown } | undefined, under: string): string {
  if (!vb || !vb.oid.startsWith(`${under}.`)) return '';
  try {
    return toText(vb);
  } catch {
    return '';
  }
}

function num(vb: { type: number; value: unknown } | undefined, types: readonly number[]): number | null {
  if (!vb) return null;
  try {
    return toUnsigned(vb as never, types, 'number');
  } catch {
    return null;
  }
}

const ADMIN = ['unknown', 'up', 'down', 'testing'];

export async function probeDevice(device: DeviceConfig, opts: SessionDefaults & { maxRepetitions: number; open?: SessionOpener }): Promise<ProbeResult> {
  const open = opts.open ?? createNetSnmpSession;
  const session = open(device, { timeoutMs: opts.timeoutMs, retries: opts.retries }, Date.now);
  try {
    const cols = PROBE_COLUMNS.map((c) => COLUMNS[c]);
    const walk = await walkColumns(session, [SYS_DESCR, SYS_NAME], cols, { maxRepetitions: opts.maxRepetitions, maxRequests: 200 });
    const rows = new Map<number, Partial<Record<(typeof PROBE_COLUMNS)[number], { oid: string; type: number; value: unknown }>>>();
    PROBE_COLUMNS.forEach((name, i) => {
      for (const [index, cell] of walk.columns.get(cols[i]) ?? []) {
        const ifIndex = Number(index);
        if (!Number.isInteger(ifIndex) || ifIndex <= 0) continue;
        const row = rows.get(ifIndex) ?? {};
        row[name] = cell.vb;
        rows.set(ifIndex, row);
      }
    });
    const interfaces = [...rows.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([ifIndex, r]): ProbedInterface => {
        const high = num(r.ifHighSpeed, [SMI.Gauge32]);
        const low = num(r.ifSpeed, [SMI.Gauge32]);
        let oper = 'unknown';
        try {
          if (r.ifOperStatus) oper = toOperStatus(r.ifOperStatus);
        } catch {
          // unreadable status stays unknown
        }
        const admin = num(r.ifAdminStatus, [SMI.Integer]);
        return {
          ifIndex,
          ifName: r.ifName ? text(r.ifName, COLUMNS.ifName) : '',
          ifDescr: r.ifDescr ? text(r.ifDescr, COLUMNS.ifDescr) : '',
          ifAlias: r.ifAlias ? text(r.ifAlias, COLUMNS.ifAlias) : '',
          ifType: num(r.ifType, [SMI.Integer]),
          speed: high !== null && high > 0 ? high * 1_000_000 : low,
          adminStatus: admin !== null ? (ADMIN[admin] ?? 'unknown') : 'unknown',
          operStatus: oper,
        };
      });
    return {
      sysDescr: text(walk.nonRepeaters[0], SYS_DESCR),
      sysName: text(walk.nonRepeaters[1], SYS_NAME),
      interfaceCount: interfaces.length,
      interfaces,
    };
  } finally {
    session.close();
  }
}

/** A failed probe as a catalogue error: the session's own (timeout, auth, ...), anything else an SNMP_PROTOCOL error with its message. */
export function probeError(err: unknown): NetmonError {
  return err instanceof NetmonError ? err : new NetmonError(ErrorCodes.SNMP_PROTOCOL, errorMessage(err), { cause: err });
}

/** An error as the test-connection endpoint reports it: the catalogue code and the message. */
export function probeFailure(err: unknown): ProbeFailure {
  const e = probeError(err);
  return { code: e.code, message: e.message };
}

/**
 * The routes that send SNMP to a device on a client's request (each one a walk of up to 200
 * requests to an address the client may choose): server.ts rate-limits them per client address.
 * `live` says whether a given request of that route probes (interfaces?source=recent does not).
 */
export const PROBE_ROUTES: ReadonlyArray<{ method: string; url: string; live: (query: unknown) => boolean }> = [
  { method: 'POST', url: '/api/devices/test-connection', live: () => true },
  { method: 'GET', url: '/api/devices/:id/interfaces', live: (q) => (q as { source?: unknown } | undefined)?.source !== 'recent' },
];

export interface RateLimiter {
  /** Takes one probe for `client`: 0 when allowed, else the milliseconds until one is. */
  take(client: string): number;
}

/**
 * A token bucket per client: `perMinute` probes at once, refilled evenly over a minute. Bounded:
 * clients whose bucket is full again are forgotten once more than `maxClients` are tracked.
 */
export function createRateLimiter(opts: { perMinute: number; now: () => number; maxClients?: number }): RateLimiter {
  const { perMinute } = opts;
  const maxClients = opts.maxClients ?? 10_000;
  const msPerToken = 60_000 / perMinute;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const level = (b: { tokens: number; at: number }, t: number) => Math.min(perMinute, b.tokens + (t - b.at) / msPerToken);
  return {
    take(client) {
      const t = opts.now();
      const b = buckets.get(client) ?? { tokens: perMinute, at: t };
      const tokens = level(b, t);
      if (tokens < 1) {
        buckets.set(client, { tokens, at: t });
        return Math.ceil((1 - tokens) * msPerToken);
      }
      buckets.set(client, { tokens: tokens - 1, at: t });
      if (buckets.size > maxClients) {
        for (const [k, v] of buckets) if (level(v, t) >= perMinute) buckets.delete(k);
        // Still too many (that many clients at once): the longest-tracked go.
        for (const k of buckets.keys()) {
          if (buckets.size <= maxClients) break;
          buckets.delete(k);
        }
      }
      return 0;
    },
  };
}
