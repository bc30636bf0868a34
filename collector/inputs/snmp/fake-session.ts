// A recording fake of the SnmpSession port for unit tests: serves a static MIB (OID -> varbind)
// with real GETBULK/GETNEXT ordering semantics, and records every request it gets.
import type { BulkResult, RawVarbind, SnmpSession } from './session.js';
import { END_OF_MIB_VIEW } from './session.js';

function oidKey(oid: string): number[] {
  return oid.split('.').map(Number);
}

function cmp(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export interface FakeSession extends SnmpSession {
  requests: Array<{ nonRepeaters: string[]; repeaters: string[]; maxRepetitions: number }>;
  closed: boolean;
}

export function createFakeSession(mib: ReadonlyArray<RawVarbind>, opts: { now?: () => number; fail?: Error } = {}): FakeSession {
  const sorted = [...mib].sort((a, b) => cmp(oidKey(a.oid), oidKey(b.oid)));
  const keys = sorted.map((v) => oidKey(v.oid));
  const next = (oid: string): RawVarbind => {
    const k = oidKey(oid);
    const i = keys.findIndex((x) => cmp(x, k) > 0);
    return i < 0 ? { oid, type: END_OF_MIB_VIEW, value: null } : sorted[i];
  };
  let clock = 1_000_000;
  const fake: FakeSession = {
    requests: [],
    closed: false,
    bulk(nonRepeaterOids, repeaterOids, maxRepetitions) {
      fake.requests.push({ nonRepeaters: [...nonRepeaterOids], repeaters: [...repeaterOids], maxRepetitions });
      if (opts.fail) return Promise.reject(opts.fail);
      const columns = repeaterOids.map((start) => {
        const rows: RawVarbind[] = [];
        let cur = start;
        for (let i = 0; i < maxRepetitions; i++) {
          const vb = next(cur);
          rows.push(vb);
          if (vb.type === END_OF_MIB_VIEW) break;
          cur = vb.oid;
        }
        return rows;
      });
      const res: BulkResult = { nonRepeaters: nonRepeaterOids.map(next), columns, arrivedAt: opts.now ? opts.now() : (clock += 7) };
      return Promise.resolve(res);
    },
    close() {
      fake.closed = true;
    },
  };
  return fake;
}
