// Test doubles for the dashboard's I/O edges: a sample WindowResult, a recording WindowStore, and
// the reading of /live rows. Used by the unit tests, the integration tests and the dashboard bench;
// the real store is exercised in test/integration against InfluxDB.
import type { WindowResult, WindowResultInput } from '../common/contracts/window-result.js';
import type { WindowQuery, WindowStore } from '../common/store/influx.js';
import type { LiveRow } from './live-hub.js';

/** A plausible interface window; counters above 2^53 so a lossy number conversion would show. */
export function sampleWindow(over: Partial<WindowResult> = {}): WindowResult {
  return {
    v: 1,
    kind: 'window-result',
    deviceId: 'r1',
    ifIndex: 1,
    ifName: 'eth0',
    windowStart: 1_700_000_040_000,
    windowEnd: 1_700_000_100_000,
    inOctets: 9_007_199_254_740_993n,
    outOctets: 750_000n,
    inPackets: 1_000n,
    outPackets: 500n,
    inErrors: 0n,
    outErrors: 0n,
    inDiscards: 0n,
    outDiscards: 0n,
    inBps: 1_200_000,
    outBps: 100_000,
    inPps: 16.7,
    outPps: 8.3,
    inAvgPacketSize: 900,
    outAvgPacketSize: 1500,
    speed: 1e9,
    inUtilization: 0.12,
    outUtilization: 0.01,
    peakInBps: 2_000_000,
    peakOutBps: 150_000,
    coverage: 1,
    sampleCount: 2,
    revision: 0,
    ...over,
  };
}

export interface FakeStore extends WindowStore {
  readonly queries: WindowQuery[];
  /** What the next queries return, or the error they throw. */
  result: WindowResultInput[] | Error;
  readonly written: WindowResultInput[];
}

export function createFakeStore(result: WindowResultInput[] | Error = []): FakeStore {
  const store: FakeStore = {
    queries: [],
    result,
    written: [],
    ensureDatabase: () => Promise.resolve(),
    writeWindows(windows) {
      store.written.push(...windows);
      return Promise.resolve();
    },
    queryWindows(q) {
      store.queries.push(q);
      return store.result instanceof Error ? Promise.reject(store.result) : Promise.resolve(store.result);
    },
  };
  return store;
}

/** The inverse of the live hub's windowRow: a row of /live back into named fields, for tests reading the socket. */
export function rowObject(fields: readonly string[], row: LiveRow): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  fields.forEach((f, i) => (out[f] = row[i]));
  return out;
}
