// One poll of one device: sysUpTime plus the interface table's counters, as one CounterSample.
// Pure over the SnmpSession port. 64-bit HC counters where the agent has them; per interface the
// 32-bit ifTable counters otherwise, with the width marked so the processor never mixes them.
// Packet counters are unicast + multicast + broadcast, summed modulo 2^width: the sum then wraps
// exactly like a single counter, so the processor's wrap logic stays right.
import type { CounterSampleInput, InterfaceCounters } from '../../../common/contracts/counter-sample.js';
import { ErrorCodes, NetmonError } from '../../../common/errors.js';
import { COLUMNS, DISCOVERY_COLUMNS, FALLBACK_COLUMNS, POLL_COLUMNS, SMI, SYS_UPTIME, toCounter, toOperStatus, toText, toUnsigned, type ColumnName } from '../../../common/snmp/if-mib.js';
import { ALL_INTERFACES, selects, type IdentityMap, type InterfaceFilter, type Renumbering } from './inventory.js';
import type { SnmpSession } from '../../../common/snmp/session.js';
import { walkColumns, type WalkedCell } from '../../../common/snmp/walker.js';

export interface PollOptions {
  maxRepetitions: number;
  /** Link speed (bit/s) by interface name, replacing the device's claim; 0 = unknown. */
  speedOverrides?: Readonly<Record<string, number>>;
  /** Which interfaces to publish (default all). */
  filter?: InterfaceFilter;
  /** Stable identities across renumbering (default: the agent's ifIndex as it is). */
  identity?: IdentityMap;
  /** ifType and ifDescr from the last discovery, by agent ifIndex. */
  discovered?: ReadonlyMap<number, Discovered>;
}

export interface Discovered {
  ifType: number | null;
  ifDescr: string;
}

export interface PollResult {
  sample: CounterSampleInput;
  requests: number;
  /** Interfaces left out of the sample, with why (garbage values, missing counters). */
  skipped: Array<{ ifIndex: number; reason: string }>;
  /** Interfaces left out by the configured selection. */
  excluded: number;
  renumbered: Renumbering[];
}

/** Discovery: ifType and ifDescr of every interface (what the per-poll walk does not read). */
export async function discoverDevice(session: SnmpSession, opts: { maxRepetitions: number }): Promise<Map<number, Discovered>> {
  const walk = await walkColumns(session, [], DISCOVERY_COLUMNS.map((c) => COLUMNS[c]), opts);
  const rows = new Map<number, Row>();
  gatherRows(walk.columns, DISCOVERY_COLUMNS, rows);
  const out = new Map<number, Discovered>();
  for (const [ifIndex, row] of rows) {
    let ifType: number | null = null;
    let ifDescr = '';
    try {
      ifType = row.ifType ? toUnsigned(row.ifType.vb, [SMI.Integer], 'INTEGER ifType') : null;
      ifDescr = row.ifDescr ? toText(row.ifDescr.vb) : '';
    } catch {
      // A garbage identity column only costs the filter its type; the counters are judged on their own.
    }
    out.set(ifIndex, { ifType, ifDescr });
  }
  return out;
}

type Row = Partial<Record<ColumnName, WalkedCell>>;

const MASK = { 32: (1n << 32n) - 1n, 64: (1n << 64n) - 1n } as const;

function gatherRows(columns: Map<string, Map<string, WalkedCell>>, names: readonly ColumnName[], rows: Map<number, Row>): void {
  for (const name of names) {
    const cells = columns.get(COLUMNS[name]);
    if (!cells) continue;
    for (const [suffix, cell] of cells) {
      const ifIndex = Number(suffix);
      if (!Number.isInteger(ifIndex) || ifIndex < 1) continue;
      let row = rows.get(ifIndex);
      if (!row) rows.set(ifIndex, (row = {}));
      row[name] = cell;
    }
  }
}

function sumPackets(row: Row, names: readonly ColumnName[], width: 32 | 64): bigint {
  let total = 0n;
  for (const n of names) {
    const cell = row[n];
    if (cell) total += toCounter(cell.vb, width);
  }
  return total & MASK[width];
}

function buildInterface(ifIndex: number, row: Row, sampleTs: number): InterfaceCounters {
  const hc = row.ifHCInOctets !== undefined && row.ifHCOutOctets !== undefined;
  const width = hc ? 64 : 32;
  const octetCell = hc ? row.ifHCInOctets! : row.ifInOctets;
  if (!hc && (row.ifInOctets === undefined || row.ifOutOctets === undefined)) {
    throw new NetmonError(ErrorCodes.SNMP_BAD_REPLY, `interface ${ifIndex} has neither HC nor 32-bit octet counters`);
  }
  const highSpeed = row.ifHighSpeed ? toUnsigned(row.ifHighSpeed.vb, [SMI.Gauge32], 'Gauge32 ifHighSpeed') : 0;
  const lowSpeed = row.ifSpeed ? toUnsigned(row.ifSpeed.vb, [SMI.Gauge32], 'Gauge32 ifSpeed') : 0;
  // ifSpeed saturates at 2^32-1 on fast links; ifHighSpeed (Mb/s) is then the truth.
  const speed = highSpeed > 0 ? highSpeed * 1_000_000 : lowSpeed;
  const name = row.ifName ? toText(row.ifName.vb) : row.ifDescr ? toText(row.ifDescr.vb) : `if${ifIndex}`;
  const opt = (cell: WalkedCell | undefined) => (cell ? toCounter(cell.vb, 32) : undefined);
  const ts = octetCell?.arrivedAt ?? sampleTs;
  return {
    ifIndex,
    name,
    alias: row.ifAlias ? toText(row.ifAlias.vb) : '',
    speed,
    operStatus: row.ifOperStatus ? toOperStatus(row.ifOperStatus.vb) : 'unknown',
    width,
    ...(ts !== sampleTs ? { ts } : {}),
    inOctets: toCounter((hc ? row.ifHCInOctets : row.ifInOctets)!.vb, width),
    outOctets: toCounter((hc ? row.ifHCOutOctets : row.ifOutOctets)!.vb, width),
    inPackets: hc
      ? sumPackets(row, ['ifHCInUcastPkts', 'ifHCInMulticastPkts', 'ifHCInBroadcastPkts'], 64)
      : sumPackets(row, ['ifInUcastPkts', 'ifInNUcastPkts'], 32),
    outPackets: hc
      ? sumPackets(row, ['ifHCOutUcastPkts', 'ifHCOutMulticastPkts', 'ifHCOutBroadcastPkts'], 64)
      : sumPackets(row, ['ifOutUcastPkts', 'ifOutNUcastPkts'], 32),
    inErrors: opt(row.ifInErrors),
    outErrors: opt(row.ifOutErrors),
    inDiscards: opt(row.ifInDiscards),
    outDiscards: opt(row.ifOutDiscards),
    discontinuityTime: row.ifCounterDiscontinuityTime ? toUnsigned(row.ifCounterDiscontinuityTime.vb, [SMI.TimeTicks], 'TimeTicks ifCounterDiscontinuityTime') : 0,
  };
}

export async function pollDevice(session: SnmpSession, deviceId: string, opts: PollOptions): Promise<PollResult> {
  const columnOids = POLL_COLUMNS.map((c) => COLUMNS[c]);
  const walk = await walkColumns(session, [SYS_UPTIME], columnOids, opts);
  const up = walk.nonRepeaters[0];
  if (!up || up.oid !== `${SYS_UPTIME}.0`) {
    throw new NetmonError(ErrorCodes.SNMP_BAD_REPLY, `no sysUpTime.0 in the reply (got ${up ? up.oid : 'nothing'})`);
  }
  const sysUpTime = toUnsigned(up, [SMI.TimeTicks], 'TimeTicks sysUpTime');
  const rows = new Map<number, Row>();
  gatherRows(walk.columns, POLL_COLUMNS, rows);
  let requests = walk.requests;

  const needFallback = [...rows.values()].some((r) => r.ifHCInOctets === undefined || r.ifHCOutOctets === undefined);
  if (needFallback) {
    const fb = await walkColumns(session, [], FALLBACK_COLUMNS.map((c) => COLUMNS[c]), opts);
    requests += fb.requests;
    gatherRows(fb.columns, FALLBACK_COLUMNS, rows);
  }

  const ts = walk.firstArrivedAt;
  const built: InterfaceCounters[] = [];
  const skipped: PollResult['skipped'] = [];
  const filter = opts.filter ?? ALL_INTERFACES;
  let excluded = 0;
  for (const ifIndex of [...rows.keys()].sort((a, b) => a - b)) {
    const row = rows.get(ifIndex)!;
    try {
      let iface = buildInterface(ifIndex, row, ts);
      const known = opts.discovered?.get(ifIndex);
      if (iface.name === `if${ifIndex}` && known?.ifDescr) iface = { ...iface, name: known.ifDescr };
      const adminStatus = row.ifAdminStatus ? toUnsigned(row.ifAdminStatus.vb, [SMI.Integer], 'INTEGER ifAdminStatus') : null;
      if (!selects(filter, { ifIndex, name: iface.name, ifType: known?.ifType ?? null, adminStatus })) {
        excluded++;
        continue;
      }
      const override = opts.speedOverrides?.[iface.name];
      built.push(override === undefined ? iface : { ...iface, speed: override });
    } catch (err) {
      skipped.push({ ifIndex, reason: (err as Error).message });
    }
  }
  let renumbered: Renumbering[] = [];
  let interfaces = built;
  if (opts.identity) {
    const r = opts.identity.reconcile(built.map((i) => ({ ifIndex: i.ifIndex, name: i.name })));
    renumbered = r.renumbered;
    interfaces = built
      .map((i) => {
        const stable = r.stable.get(i.ifIndex) ?? i.ifIndex;
        return stable === i.ifIndex ? i : { ...i, ifIndex: stable, agentIfIndex: i.ifIndex };
      })
      .sort((a, b) => a.ifIndex - b.ifIndex);
  }
  return { sample: { deviceId, source: 'snmp', ts, sysUpTime, interfaces }, requests, skipped, excluded, renumbered };
}
