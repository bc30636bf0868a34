// Column-parallel table walk: one GETBULK carries every wanted column, so a poll of a whole
// interface table costs ceil(rows / maxRepetitions) round trips, and each row's counters arrive
// together in one response (one event time per row). Bounded: it stops at the end of every column,
// on a non-increasing OID (a broken agent looping), or after maxRequests.
import { ErrorCodes, NetmonError } from '../errors.js';
import type { SnmpSession } from './session.js';
import { END_OF_MIB_VIEW, NO_SUCH_INSTANCE, NO_SUCH_OBJECT, type RawVarbind } from './varbind.js';

export interface WalkedCell {
  vb: RawVarbind;
  arrivedAt: number;
}

export interface WalkResult {
  /** Per column OID: row index (the OID suffix, e.g. "3" for ifIndex 3) -> cell. */
  columns: Map<string, Map<string, WalkedCell>>;
  nonRepeaters: RawVarbind[];
  /** Arrival time of the first response (the one carrying the non-repeaters). */
  firstArrivedAt: number;
  requests: number;
}

function compareOids(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return d;
  }
  return pa.length - pb.length;
}

export async function walkColumns(
  session: SnmpSession,
  nonRepeaterOids: readonly string[],
  columnOids: readonly string[],
  opts: { maxRepetitions: number; maxRequests?: number },
): Promise<WalkResult> {
  const maxRequests = opts.maxRequests ?? 1000;
  const columns = new Map<string, Map<string, WalkedCell>>(columnOids.map((c) => [c, new Map()]));
  const cursor = new Map<string, string>(columnOids.map((c) => [c, c]));
  let active = [...columnOids];
  let nonRepeaters: RawVarbind[] = [];
  let firstArrivedAt = 0;
  let requests = 0;
  let first = true;

  while (active.length > 0 || first) {
    if (requests >= maxRequests) {
      throw new NetmonError(ErrorCodes.SNMP_BAD_REPLY, `table walk did not finish within ${maxRequests} requests (agent keeps returning rows)`);
    }
    const nr = first ? nonRepeaterOids : [];
    const res = await session.bulk(nr, active.map((c) => cursor.get(c)!), opts.maxRepetitions);
    requests++;
    if (first) {
      nonRepeaters = res.nonRepeaters;
      firstArrivedAt = res.arrivedAt;
      first = false;
    }
    const stillActive: string[] = [];
    active.forEach((col, i) => {
      const rows = res.columns[i] ?? [];
      const prefix = `${col}.`;
      const cells = columns.get(col)!;
      let done = rows.length === 0;
      for (const vb of rows) {
        if (vb.type === END_OF_MIB_VIEW || vb.type === NO_SUCH_OBJECT || vb.type === NO_SUCH_INSTANCE || !vb.oid.startsWith(prefix)) {
          done = true;
          break;
        }
        const suffix = vb.oid.slice(prefix.length);
        const prev = cursor.get(col)!;
        // Fast path (the profile's top item otherwise): both rows are one arc, as ifIndex rows are.
        const row = suffix.includes('.') ? NaN : Number(suffix);
        const prevRow = prev === col ? 0 : prev.length > prefix.length && !prev.includes('.', prefix.length) ? Number(prev.slice(prefix.length)) : NaN;
        const increasing = Number.isInteger(row) && Number.isInteger(prevRow) ? row > prevRow : compareOids(vb.oid, prev) > 0;
        if (!increasing) {
          throw new NetmonError(ErrorCodes.SNMP_BAD_REPLY, `agent returned non-increasing OID ${vb.oid} after ${prev}`);
        }
        cells.set(suffix, { vb, arrivedAt: res.arrivedAt });
        cursor.set(col, vb.oid);
      }
      if (!done) stillActive.push(col);
    });
    active = stillActive;
  }
  return { columns, nonRepeaters, firstArrivedAt, requests };
}
