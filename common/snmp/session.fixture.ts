// A recording fake of the SnmpSession port for unit tests: serves a static MIB (OID -> varbind)
// with real GETBULK/GETNEXT ordering semantics, and records every request it gets. With `v1`, it
// behaves as an SNMPv1 agent: GETNEXT only, and a varbind past the end of the MIB is a noSuchName
// error for the whole request (naming that varbind), driven through the real v1GetNext logic.
import type { BulkResult, SnmpSession } from './session.js';
import { END_OF_MIB_VIEW, type RawVarbind } from './varbind.js';
import { NoSuchNameError, v1GetNext } from './v1-getnext.js';

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
  /** With `v1`: every GETNEXT sent to the agent, and whether it failed with noSuchName (index). */
  getNexts: Array<{ oids: string[]; noSuchName: number | null }>;
  closed: boolean;
}

export function createFakeSession(mib: ReadonlyArray<RawVarbind>, opts: { now?: () => number; fail?: Error; v1?: boolean } = {}): FakeSession {
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
    getNexts: [],
    closed: false,
    async bulk(nonRepeaterOids, repeaterOids, maxRepetitions) {
      fake.requests.push({ nonRepeaters: [...nonRepeaterOids], repeaters: [...repeaterOids], maxRepetitions });
      if (opts.fail) return Promise.reject(opts.fail);
      if (opts.v1) {
        const getNext = (oids: string[]) => {
          const vbs = oids.map(next);
          const k = vbs.findIndex((v) => v.type === END_OF_MIB_VIEW);
          fake.getNexts.push({ oids, noSuchName: k >= 0 ? k : null });
          return k >= 0 ? Promise.reject(new NoSuchNameError(k)) : Promise.resolve(vbs);
        };
        const { varbinds } = await v1GetNext(getNext, [...nonRepeaterOids, ...repeaterOids]);
        const nr = nonRepeaterOids.length;
        return { nonRepeaters: varbinds.slice(0, nr), columns: varbinds.slice(nr).map((v) => [v]), arrivedAt: opts.now ? opts.now() : (clock += 7) };
      }
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
