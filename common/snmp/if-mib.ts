// IF-MIB knowledge as data: the OIDs netmon reads and how to turn raw varbind values into typed
// values. Pure; garbage (wrong type, wrong size) becomes a NetmonError naming the OID, never a NaN.
import { ErrorCodes, NetmonError } from '../errors.js';
import type { OperStatus } from '../contracts/counter-sample.js';
import type { RawVarbind } from './varbind.js';

export const SYS_UPTIME = '1.3.6.1.2.1.1.3';
const IF_ENTRY = '1.3.6.1.2.1.2.2.1';
const IFX_ENTRY = '1.3.6.1.2.1.31.1.1.1';

/** The columns of one poll, by name. Column OIDs are walked; the row index is the ifIndex. */
export const COLUMNS = {
  ifName: `${IFX_ENTRY}.1`,
  ifHCInOctets: `${IFX_ENTRY}.6`,
  ifHCInUcastPkts: `${IFX_ENTRY}.7`,
  ifHCInMulticastPkts: `${IFX_ENTRY}.8`,
  ifHCInBroadcastPkts: `${IFX_ENTRY}.9`,
  ifHCOutOctets: `${IFX_ENTRY}.10`,
  ifHCOutUcastPkts: `${IFX_ENTRY}.11`,
  ifHCOutMulticastPkts: `${IFX_ENTRY}.12`,
  ifHCOutBroadcastPkts: `${IFX_ENTRY}.13`,
  ifHighSpeed: `${IFX_ENTRY}.15`,
  ifAlias: `${IFX_ENTRY}.18`,
  ifCounterDiscontinuityTime: `${IFX_ENTRY}.19`,
  ifDescr: `${IF_ENTRY}.2`,
  ifType: `${IF_ENTRY}.3`,
  ifAdminStatus: `${IF_ENTRY}.7`,
  ifSpeed: `${IF_ENTRY}.5`,
  ifOperStatus: `${IF_ENTRY}.8`,
  ifInOctets: `${IF_ENTRY}.10`,
  ifInUcastPkts: `${IF_ENTRY}.11`,
  ifInNUcastPkts: `${IF_ENTRY}.12`,
  ifInDiscards: `${IF_ENTRY}.13`,
  ifInErrors: `${IF_ENTRY}.14`,
  ifOutOctets: `${IF_ENTRY}.16`,
  ifOutUcastPkts: `${IF_ENTRY}.17`,
  ifOutNUcastPkts: `${IF_ENTRY}.18`,
  ifOutDiscards: `${IF_ENTRY}.19`,
  ifOutErrors: `${IF_ENTRY}.20`,
} as const;

export type ColumnName = keyof typeof COLUMNS;

/** Read on every poll: identity, speed, status, HC counters, errors and discards. */
export const POLL_COLUMNS: readonly ColumnName[] = [
  'ifName', 'ifHighSpeed', 'ifSpeed', 'ifOperStatus', 'ifAdminStatus', 'ifAlias', 'ifCounterDiscontinuityTime',
  'ifHCInOctets', 'ifHCOutOctets', 'ifHCInUcastPkts', 'ifHCInMulticastPkts', 'ifHCInBroadcastPkts',
  'ifHCOutUcastPkts', 'ifHCOutMulticastPkts', 'ifHCOutBroadcastPkts',
  'ifInErrors', 'ifOutErrors', 'ifInDiscards', 'ifOutDiscards',
];

/** Read at discovery (first poll, periodically, after a reboot): what rarely changes. */
export const DISCOVERY_COLUMNS: readonly ColumnName[] = ['ifType', 'ifDescr'];

/** Read only when some interface has no HC counters (32-bit fallback). */
export const FALLBACK_COLUMNS: readonly ColumnName[] = [
  'ifDescr', 'ifInOctets', 'ifOutOctets', 'ifInUcastPkts', 'ifInNUcastPkts', 'ifOutUcastPkts', 'ifOutNUcastPkts',
];

// ASN.1 / SMI type tags as net-snmp reports them.
export const SMI = {
  Integer: 2,
  OctetString: 4,
  Counter32: 65,
  Gauge32: 66,
  TimeTicks: 67,
  Counter64: 70,
} as const;

const OPER: Record<number, OperStatus> = { 1: 'up', 2: 'down', 3: 'testing', 4: 'unknown', 5: 'dormant', 6: 'notPresent', 7: 'lowerLayerDown' };

function bad(vb: RawVarbind, expected: string): NetmonError {
  return new NetmonError(ErrorCodes.SNMP_BAD_REPLY, `garbage SNMP value at ${vb.oid}: expected ${expected}, got type ${vb.type} (${typeof vb.value})`);
}

/** A Counter64 arrives as big-endian bytes (up to 9 with a sign byte); Counter32 as a number. */
export function toCounter(vb: RawVarbind, width: 32 | 64): bigint {
  if (width === 64 && vb.type === SMI.Counter64) {
    if (!Buffer.isBuffer(vb.value) || vb.value.length > 9) throw bad(vb, 'Counter64 of at most 8 bytes');
    const buf = vb.value;
    if (buf.length === 0) return 0n;
    const n = BigInt(`0x${buf.toString('hex')}`);
    if (n >= 1n << 64n) throw bad(vb, 'Counter64 below 2^64');
    return n;
  }
  if (width === 32 && vb.type === SMI.Counter32 && typeof vb.value === 'number' && Number.isInteger(vb.value) && vb.value >= 0 && vb.value <= 0xffffffff) {
    return BigInt(vb.value);
  }
  throw bad(vb, width === 64 ? 'Counter64' : 'Counter32');
}

export function toUnsigned(vb: RawVarbind, types: readonly number[], what: string): number {
  if (types.includes(vb.type) && typeof vb.value === 'number' && Number.isInteger(vb.value) && vb.value >= 0 && vb.value <= 0xffffffff) return vb.value;
  throw bad(vb, what);
}

export function toText(vb: RawVarbind): string {
  if (vb.type !== SMI.OctetString) throw bad(vb, 'OCTET STRING');
  const v = vb.value;
  const text = Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'string' ? v : null;
  if (text === null) throw bad(vb, 'OCTET STRING');
  // Strip control characters some agents pad names with (NUL terminators).
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is stripped
  return text.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 256);
}

export function toOperStatus(vb: RawVarbind): OperStatus {
  const n = toUnsigned(vb, [SMI.Integer], 'INTEGER ifOperStatus');
  return OPER[n] ?? 'unknown';
}
