// SNMPv1 GETNEXT over several columns at once (pure over a getNext function). A v1 agent has no
// exception values: when one varbind of a multi-varbind GETNEXT runs past the end of its MIB view it
// answers the whole request with noSuchName and the index k of that varbind. That means "column k is
// finished", not "the walk failed": the column is marked finished (an endOfMibView varbind, as v2c
// would say) and the request is retried without it. Bounded: each retry drops at least one varbind.
import { ErrorCodes, NetmonError } from '../errors.js';
import { END_OF_MIB_VIEW, type RawVarbind } from './varbind.js';

/** A v1 agent's noSuchName; `index` is the 0-based varbind it names, null when it named none. */
export class NoSuchNameError extends NetmonError {
  readonly index: number | null;
  constructor(index: number | null, message = 'noSuchName') {
    super(ErrorCodes.SNMP_PROTOCOL, message);
    this.name = 'NoSuchNameError';
    this.index = index;
  }
}

export type GetNext = (oids: string[]) => Promise<RawVarbind[]>;

const finished = (oid: string): RawVarbind => ({ oid, type: END_OF_MIB_VIEW, value: null });

/** The varbinds following each OID (endOfMibView where the agent said noSuchName), and how many requests it took. */
export async function v1GetNext(getNext: GetNext, oids: readonly string[]): Promise<{ varbinds: RawVarbind[]; requests: number }> {
  const result: Array<RawVarbind | null> = oids.map(() => null);
  let pending = oids.map((_oid, i) => i);
  let requests = 0;
  while (pending.length > 0) {
    try {
      requests++;
      const vbs = await getNext(pending.map((i) => oids[i]));
      pending.forEach((i, j) => (result[i] = vbs[j] ?? finished(oids[i])));
      pending = [];
    } catch (err) {
      if (!(err instanceof NoSuchNameError)) throw err;
      if (pending.length === 1) {
        result[pending[0]] = finished(oids[pending[0]]);
        pending = [];
      } else if (err.index !== null && err.index >= 0 && err.index < pending.length) {
        const [i] = pending.splice(err.index, 1);
        result[i] = finished(oids[i]);
      } else {
        // The agent did not say which varbind: ask for each column on its own.
        for (const i of pending) {
          requests++;
          try {
            result[i] = (await getNext([oids[i]]))[0] ?? finished(oids[i]);
          } catch (e) {
            if (!(e instanceof NoSuchNameError)) throw e;
            result[i] = finished(oids[i]);
          }
        }
        pending = [];
      }
    }
  }
  return { varbinds: result.map((vb, i) => vb ?? finished(oids[i])), requests };
}
