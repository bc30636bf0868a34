import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SMI } from './if-mib.js';
import type { SnmpSession } from './session.js';
import { END_OF_MIB_VIEW, type RawVarbind } from './varbind.js';
import { walkColumns } from './walker.js';

const COL = '1.3.6.1.2.1.31.1.1.1.6';
/** A session answering one response of these row suffixes for the column, then the end of the MIB. */
function rowsSession(suffixes: string[]): SnmpSession {
  let first = true;
  return {
    bulk: () => {
      const rows: RawVarbind[] = first ? suffixes.map((s) => ({ oid: `${COL}.${s}`, type: SMI.Integer, value: 1 })) : [{ oid: COL, type: END_OF_MIB_VIEW, value: null }];
      first = false;
      return Promise.resolve({ nonRepeaters: [], columns: [rows], arrivedAt: 1 });
    },
    close: () => undefined,
  };
}

const cases: Array<{ name: string; rows: string[]; ok: boolean }> = [
  { name: 'single-arc rows increasing', rows: ['1', '2', '10', '11'], ok: true },
  { name: 'single-arc row repeated', rows: ['1', '2', '2'], ok: false },
  { name: 'single-arc row going back (numeric, not text order)', rows: ['9', '10', '9'], ok: false },
  { name: 'multi-arc rows increasing', rows: ['1.3', '1.5', '2.1'], ok: true },
  { name: 'multi-arc row going back', rows: ['1.3', '1.2'], ok: false },
  { name: 'single then multi-arc (longer OID after its prefix)', rows: ['1', '1.1', '2'], ok: true },
  { name: 'multi-arc then a smaller single arc', rows: ['2.1', '1'], ok: false },
];
for (const c of cases) {
  test(`walker OID order: ${c.name}`, async () => {
    const walk = walkColumns(rowsSession(c.rows), [], [COL], { maxRepetitions: 10 });
    if (c.ok) assert.deepEqual([...(await walk).columns.get(COL)!.keys()], c.rows);
    else await assert.rejects(walk, /non-increasing OID/);
  });
}
