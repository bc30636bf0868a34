// One poll of one device: sysUpTime plus the interface table's counters, as one CounterSample.
// Pure over the SnmpSession port. 64-bit HC counters where the agent has them; per interface the
// 32-bit ifTable counters otherwise, with the width marked so the processor never mixes them.
// Packet counters are unicast + multicast + broadcast, summed modulo 2^width: the sum then wraps
// exactly like a single counter, so the processor's wrap logic stays right.
import type { CounterSampleInput, InterfaceCounters } from '../../../common/contracts/counter-sample.js';
import { ErrorCodes, NetmonError } from '../../../common/errors.js';
import { COLUMNS, FALLBACK_COLUMNS, POLL_COLUMNS, SMI, SYS_UPTIME, toCounter, toOperStatus, toText, toUnsigned, type ColumnName } from './if-mib.js';
import type { SnmpSession } from './session.js';
import { walkColumns, type WalkedCell } from './walker.js';

export interface PollOptions {
  maxRepetitions: number;
  /** Link speed (bit/s) by interface name, replacing the device's claim; 0 = unknown. */
  speedOverrides?: Readonly<Record<string, number>>;
}

export interface PollResult {
  sample: CounterSampleInput;
  requests: number;
  /** Interfaces left out of the sample, with why (garbage values, missing counters). */
  skipped: Array<{ ifIndex: number; reason: string }>;
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
  const interfaces: InterfaceCounters[] = [];
  const skipped: PollResult['skipped'] = [];
  for (const ifIndex of [...rows.keys()].sort((a, b) => a - b)) {
    try {
      const iface = buildInterface(ifIndex, rows.get(ifIndex)!, ts);
      const override = opts.speedOverrides?.[iface.name];
      interfaces.push(override === undefined ? iface : { ...iface, speed: override });
    } catch (err) {
      skipped.push({ ifIndex, reason: (err as Error).message });
    }
  }
  return { sample: { deviceId, source: 'snmp', ts, sysUpTime, interfaces }, requests, skipped };
}
