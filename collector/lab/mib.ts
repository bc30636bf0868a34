// The lab's MIB (pure): the objects a simulated device serves — the system group, ifNumber, the ifTable,
// the ifXTable unless the device is 32-bit only, and snmpEngine — in OID order, and the request semantics over
// them: GET, GETNEXT and GETBULK as RFC 3416 says (max-repetitions counts per repeater, endOfMibView
// past the end), SET refused, and SNMPv1's rules from RFC 3584 (no Counter64: GETNEXT skips it, GET of
// it is noSuchName; errors instead of exception values).
// Why not net-snmp's own Mib: its agent caps a GETBULK at max-repetitions varbinds in total (not per
// column), returns Counter64 to v1 managers, and keeps one tree node per cell per device; here the
// ordered OID list of a device shape (ports, hc) is built once and shared by every device of that
// shape, lookups are a Map hit or a binary search, and values are computed at request time.
import type { DeviceModel, LabInterface } from './device.js';
import { COUNTER } from './traffic.js';

/** ASN.1 / SMI tags as net-snmp's ObjectType numbers them. */
export const TAG = {
  Integer: 2,
  OctetString: 4,
  Null: 5,
  OID: 6,
  Counter32: 65,
  Gauge32: 66,
  TimeTicks: 67,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;

/** Request PDU tags (net-snmp's PduType). */
export const PDU = { Get: 160, GetNext: 161, Set: 163, GetBulk: 165 } as const;

/** error-status values used here (RFC 3416; v1 knows only 0-5). */
export const ERROR_STATUS = { noError: 0, noSuchName: 2, genErr: 5, notWritable: 17 } as const;

/** Message versions as net-snmp numbers them. */
export const VERSION = { v1: 0, v2c: 1, v3: 3 } as const;

const SYSTEM = '1.3.6.1.2.1.1';
const IF_NUMBER = '1.3.6.1.2.1.2.1';
const IF_ENTRY = '1.3.6.1.2.1.2.2.1';
const IFX_ENTRY = '1.3.6.1.2.1.31.1.1.1';
const SNMP_ENGINE = '1.3.6.1.6.3.10.2.1';
const MAX_GAUGE = 4294967295;

type ScalarGet = (dev: DeviceModel, tMs: number) => unknown;
type ColumnGet = (dev: DeviceModel, iface: LabInterface, tMs: number) => unknown;

interface ObjectDef {
  name: string;
  /** The object's OID (without the instance part). */
  oid: string;
  type: number;
  /** Scalars have `scalar`, table columns `column` (one instance per interface). */
  scalar?: ScalarGet;
  column?: ColumnGet;
  /** Only on devices with the ifXTable. */
  ifx?: boolean;
}

const c32 = (kind: (typeof COUNTER)[keyof typeof COUNTER]): ColumnGet => (d, i, t) => d.counter32(i, kind, t);
const c64 = (kind: (typeof COUNTER)[keyof typeof COUNTER]): ColumnGet => (d, i, t) => d.counter64(i, kind, t);
const zero: ColumnGet = () => 0;

export const OBJECTS: readonly ObjectDef[] = [
  { name: 'sysDescr', oid: `${SYSTEM}.1.0`, type: TAG.OctetString, scalar: (d) => `netmon lab switch ${d.spec.id}: ${d.spec.ports} ports, ${d.spec.hc ? 'IF-MIB with ifXTable (64-bit counters)' : 'ifTable only (32-bit counters)'}; simulated` },
  { name: 'sysObjectID', oid: `${SYSTEM}.2.0`, type: TAG.OID, scalar: () => '1.3.6.1.4.1.8072.3.2.10' },
  { name: 'sysUpTime', oid: `${SYSTEM}.3.0`, type: TAG.TimeTicks, scalar: (d, t) => d.sysUpTime(t) },
  { name: 'sysContact', oid: `${SYSTEM}.4.0`, type: TAG.OctetString, scalar: () => 'netmon lab' },
  { name: 'sysName', oid: `${SYSTEM}.5.0`, type: TAG.OctetString, scalar: (d) => d.spec.id },
  { name: 'sysLocation', oid: `${SYSTEM}.6.0`, type: TAG.OctetString, scalar: (d) => `loopback lab, rack ${1 + (d.spec.index >> 5)}` },
  { name: 'sysServices', oid: `${SYSTEM}.7.0`, type: TAG.Integer, scalar: () => 6 },
  { name: 'ifNumber', oid: `${IF_NUMBER}.0`, type: TAG.Integer, scalar: (d) => d.interfaces.length },
  { name: 'ifIndex', oid: `${IF_ENTRY}.1`, type: TAG.Integer, column: (_d, i) => i.ifIndex },
  { name: 'ifDescr', oid: `${IF_ENTRY}.2`, type: TAG.OctetString, column: (_d, i) => i.descr },
  { name: 'ifType', oid: `${IF_ENTRY}.3`, type: TAG.Integer, column: () => 6 },
  { name: 'ifMtu', oid: `${IF_ENTRY}.4`, type: TAG.Integer, column: (_d, i) => i.mtu },
  { name: 'ifSpeed', oid: `${IF_ENTRY}.5`, type: TAG.Gauge32, column: (_d, i) => Math.min(i.speedBps, MAX_GAUGE) },
  { name: 'ifPhysAddress', oid: `${IF_ENTRY}.6`, type: TAG.OctetString, column: (d, i) => Buffer.from([0x02, 0x4c, (d.spec.index >> 8) & 0xff, d.spec.index & 0xff, (i.ifIndex >> 8) & 0xff, i.ifIndex & 0xff]) },
  { name: 'ifAdminStatus', oid: `${IF_ENTRY}.7`, type: TAG.Integer, column: (_d, i) => (i.adminUp ? 1 : 2) },
  { name: 'ifOperStatus', oid: `${IF_ENTRY}.8`, type: TAG.Integer, column: (_d, i) => (i.operUp ? 1 : 2) },
  { name: 'ifLastChange', oid: `${IF_ENTRY}.9`, type: TAG.TimeTicks, column: zero },
  { name: 'ifInOctets', oid: `${IF_ENTRY}.10`, type: TAG.Counter32, column: c32(COUNTER.inOctets) },
  { name: 'ifInUcastPkts', oid: `${IF_ENTRY}.11`, type: TAG.Counter32, column: c32(COUNTER.inUcastPkts) },
  { name: 'ifInNUcastPkts', oid: `${IF_ENTRY}.12`, type: TAG.Counter32, column: (d, i, t) => d.nonUnicast32(i, true, t) },
  { name: 'ifInDiscards', oid: `${IF_ENTRY}.13`, type: TAG.Counter32, column: c32(COUNTER.inDiscards) },
  { name: 'ifInErrors', oid: `${IF_ENTRY}.14`, type: TAG.Counter32, column: c32(COUNTER.inErrors) },
  { name: 'ifInUnknownProtos', oid: `${IF_ENTRY}.15`, type: TAG.Counter32, column: zero },
  { name: 'ifOutOctets', oid: `${IF_ENTRY}.16`, type: TAG.Counter32, column: c32(COUNTER.outOctets) },
  { name: 'ifOutUcastPkts', oid: `${IF_ENTRY}.17`, type: TAG.Counter32, column: c32(COUNTER.outUcastPkts) },
  { name: 'ifOutNUcastPkts', oid: `${IF_ENTRY}.18`, type: TAG.Counter32, column: (d, i, t) => d.nonUnicast32(i, false, t) },
  { name: 'ifOutDiscards', oid: `${IF_ENTRY}.19`, type: TAG.Counter32, column: c32(COUNTER.outDiscards) },
  { name: 'ifOutErrors', oid: `${IF_ENTRY}.20`, type: TAG.Counter32, column: c32(COUNTER.outErrors) },
  { name: 'ifOutQLen', oid: `${IF_ENTRY}.21`, type: TAG.Gauge32, column: zero },
  { name: 'ifName', oid: `${IFX_ENTRY}.1`, type: TAG.OctetString, ifx: true, column: (_d, i) => i.name },
  { name: 'ifInMulticastPkts', oid: `${IFX_ENTRY}.2`, type: TAG.Counter32, ifx: true, column: c32(COUNTER.inMulticastPkts) },
  { name: 'ifInBroadcastPkts', oid: `${IFX_ENTRY}.3`, type: TAG.Counter32, ifx: true, column: c32(COUNTER.inBroadcastPkts) },
  { name: 'ifOutMulticastPkts', oid: `${IFX_ENTRY}.4`, type: TAG.Counter32, ifx: true, column: c32(COUNTER.outMulticastPkts) },
  { name: 'ifOutBroadcastPkts', oid: `${IFX_ENTRY}.5`, type: TAG.Counter32, ifx: true, column: c32(COUNTER.outBroadcastPkts) },
  { name: 'ifHCInOctets', oid: `${IFX_ENTRY}.6`, type: TAG.Counter64, ifx: true, column: c64(COUNTER.inOctets) },
  { name: 'ifHCInUcastPkts', oid: `${IFX_ENTRY}.7`, type: TAG.Counter64, ifx: true, column: c64(COUNTER.inUcastPkts) },
  { name: 'ifHCInMulticastPkts', oid: `${IFX_ENTRY}.8`, type: TAG.Counter64, ifx: true, column: c64(COUNTER.inMulticastPkts) },
  { name: 'ifHCInBroadcastPkts', oid: `${IFX_ENTRY}.9`, type: TAG.Counter64, ifx: true, column: c64(COUNTER.inBroadcastPkts) },
  { name: 'ifHCOutOctets', oid: `${IFX_ENTRY}.10`, type: TAG.Counter64, ifx: true, column: c64(COUNTER.outOctets) },
  { name: 'ifHCOutUcastPkts', oid: `${IFX_ENTRY}.11`, type: TAG.Counter64, ifx: true, column: c64(COUNTER.outUcastPkts) },
  { name: 'ifHCOutMulticastPkts', oid: `${IFX_ENTRY}.12`, type: TAG.Counter64, ifx: true, column: c64(COUNTER.outMulticastPkts) },
  { name: 'ifHCOutBroadcastPkts', oid: `${IFX_ENTRY}.13`, type: TAG.Counter64, ifx: true, column: c64(COUNTER.outBroadcastPkts) },
  { name: 'ifLinkUpDownTrapEnable', oid: `${IFX_ENTRY}.14`, type: TAG.Integer, ifx: true, column: () => 1 },
  { name: 'ifHighSpeed', oid: `${IFX_ENTRY}.15`, type: TAG.Gauge32, ifx: true, column: (_d, i) => Math.round(i.speedBps / 1e6) },
  { name: 'ifPromiscuousMode', oid: `${IFX_ENTRY}.16`, type: TAG.Integer, ifx: true, column: () => 2 },
  { name: 'ifConnectorPresent', oid: `${IFX_ENTRY}.17`, type: TAG.Integer, ifx: true, column: () => 1 },
  { name: 'ifAlias', oid: `${IFX_ENTRY}.18`, type: TAG.OctetString, ifx: true, column: (_d, i) => i.alias },
  { name: 'ifCounterDiscontinuityTime', oid: `${IFX_ENTRY}.19`, type: TAG.TimeTicks, ifx: true, column: (d, i) => d.discontinuityTicks(i) },
  // SNMP-FRAMEWORK-MIB's snmpEngine group: every agent has it, and it means the MIB does not end at the
  // ifXTable (an SNMPv1 GETNEXT past the last object is a noSuchName error for the whole request).
  { name: 'snmpEngineID', oid: `${SNMP_ENGINE}.1.0`, type: TAG.OctetString, scalar: (d) => d.engineId },
  { name: 'snmpEngineBoots', oid: `${SNMP_ENGINE}.2.0`, type: TAG.Integer, scalar: (d) => d.reboots + 1 },
  { name: 'snmpEngineTime', oid: `${SNMP_ENGINE}.3.0`, type: TAG.Integer, scalar: (d, t) => Math.min(Math.floor(d.sysUpTime(t) / 100), 2147483647) },
  { name: 'snmpEngineMaxMessageSize', oid: `${SNMP_ENGINE}.4.0`, type: TAG.Integer, scalar: () => 65507 },
];

/** The ordered instances of one device shape, shared by all devices of that shape. */
export interface MibShape {
  readonly ports: number;
  /** Added to every interface's position to make its ifIndex (0 = ifIndex 1..ports; a renumbered device has another). */
  readonly offset: number;
  readonly hc: boolean;
  readonly size: number;
  readonly oids: readonly string[];
  /** Per instance: index into OBJECTS, and the ifIndex (0 for scalars). */
  readonly object: Uint16Array;
  readonly row: Uint32Array;
  /** SNMPv1: the first position at or after i whose type is not Counter64 (size = none). */
  readonly nextNot64: Int32Array;
  /** Instance OID -> position. */
  readonly position: ReadonlyMap<string, number>;
  /** Object OIDs (scalar without ".0", column without the row): a missing instance under one is noSuchInstance. */
  readonly objects: ReadonlySet<string>;
  readonly arcs: readonly number[][];
}

function parseArcs(oid: string): number[] {
  const parts = oid.split('.');
  const out = new Array<number>(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = Number(parts[i]);
  return out;
}

function compareArcs(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** `shortMib`: the MIB ends with the interface tables (no snmpEngine group after them), so an SNMPv1
 * GETNEXT past the last column is a noSuchName, as on agents that expose only the IF-MIB. */
export function buildShape(ports: number, hc: boolean, shortMib = false, offset = 0): MibShape {
  const items: Array<{ oid: string; arcs: number[]; object: number; row: number }> = [];
  OBJECTS.forEach((o, object) => {
    if (o.ifx && !hc) return;
    if (shortMib && o.oid.startsWith(`${SNMP_ENGINE}.`)) return;
    if (o.scalar) items.push({ oid: o.oid, arcs: parseArcs(o.oid), object, row: 0 });
    else for (let r = 1; r <= ports; r++) items.push({ oid: `${o.oid}.${r + offset}`, arcs: parseArcs(`${o.oid}.${r + offset}`), object, row: r });
  });
  items.sort((a, b) => compareArcs(a.arcs, b.arcs));
  const size = items.length;
  const object = new Uint16Array(size);
  const row = new Uint32Array(size);
  const nextNot64 = new Int32Array(size + 1);
  const position = new Map<string, number>();
  items.forEach((it, i) => {
    object[i] = it.object;
    row[i] = it.row;
    position.set(it.oid, i);
  });
  nextNot64[size] = size;
  for (let i = size - 1; i >= 0; i--) nextNot64[i] = OBJECTS[object[i]].type === TAG.Counter64 ? nextNot64[i + 1] : i;
  const objects = new Set(OBJECTS.filter((o) => (hc || !o.ifx) && !(shortMib && o.oid.startsWith(`${SNMP_ENGINE}.`))).map((o) => (o.scalar ? o.oid.slice(0, -2) : o.oid)));
  return { ports, offset, hc, size, oids: items.map((i) => i.oid), object, row, nextNot64, position, objects, arcs: items.map((i) => i.arcs) };
}

/** Position of the first instance strictly after `oid` (size when none). */
export function nextPosition(shape: MibShape, oid: string): number {
  const exact = shape.position.get(oid);
  if (exact !== undefined) return exact + 1;
  const arcs = parseArcs(oid);
  let lo = 0;
  let hi = shape.size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareArcs(shape.arcs[mid], arcs) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface Varbind {
  oid: string;
  type: number;
  value: unknown;
}

export interface Request {
  version: number;
  type: number;
  oids: readonly string[];
  nonRepeaters: number;
  maxRepetitions: number;
}

export interface Reply {
  errorStatus: number;
  /** 1-based position of the varbind in error, 0 when none. */
  errorIndex: number;
  varbinds: Varbind[];
}

export interface AnswerLimits {
  /** A GETBULK reply is cut at this many varbinds (keeps the datagram well under 64 KiB). */
  maxVarbinds: number;
}

export const DEFAULT_LIMITS: AnswerLimits = { maxVarbinds: 1000 };

function instance(shape: MibShape, dev: DeviceModel, pos: number, tMs: number): Varbind {
  const def = OBJECTS[shape.object[pos]];
  const row = shape.row[pos];
  // `row` is the interface's position; its ifIndex (the OID suffix and the ifIndex column) is row + offset.
  const value = def.scalar ? def.scalar(dev, tMs) : def.name === 'ifIndex' ? row + shape.offset : def.column!(dev, dev.interfaces[row - 1], tMs);
  return { oid: shape.oids[pos], type: def.type, value };
}

function failure(req: Request, errorStatus: number, index: number): Reply {
  return { errorStatus, errorIndex: index + 1, varbinds: req.oids.map((oid) => ({ oid, type: TAG.Null, value: null })) };
}

/** Answers one request at tMs (all values of one reply are taken at the same instant). */
export function answer(shape: MibShape, dev: DeviceModel, tMs: number, req: Request, limits: AnswerLimits = DEFAULT_LIMITS): Reply {
  const v1 = req.version === VERSION.v1;
  const next = (oid: string) => {
    const p = nextPosition(shape, oid);
    return v1 ? shape.nextNot64[p] : p;
  };
  const varbinds: Varbind[] = [];
  switch (req.type) {
    case PDU.Get: {
      for (let i = 0; i < req.oids.length; i++) {
        const oid = req.oids[i];
        const p = shape.position.get(oid);
        if (p !== undefined && !(v1 && OBJECTS[shape.object[p]].type === TAG.Counter64)) {
          varbinds.push(instance(shape, dev, p, tMs));
          continue;
        }
        if (v1) return failure(req, ERROR_STATUS.noSuchName, i);
        const parent = oid.slice(0, Math.max(0, oid.lastIndexOf('.')));
        varbinds.push({ oid, type: shape.objects.has(parent) ? TAG.NoSuchInstance : TAG.NoSuchObject, value: null });
      }
      return { errorStatus: 0, errorIndex: 0, varbinds };
    }
    case PDU.GetNext: {
      for (let i = 0; i < req.oids.length; i++) {
        const p = next(req.oids[i]);
        if (p < shape.size) varbinds.push(instance(shape, dev, p, tMs));
        else if (v1) return failure(req, ERROR_STATUS.noSuchName, i);
        else varbinds.push({ oid: req.oids[i], type: TAG.EndOfMibView, value: null });
      }
      return { errorStatus: 0, errorIndex: 0, varbinds };
    }
    case PDU.GetBulk: {
      if (v1) return failure(req, ERROR_STATUS.genErr, 0);
      const n = Math.min(Math.max(req.nonRepeaters, 0), req.oids.length);
      const m = Math.max(req.maxRepetitions, 0);
      for (let i = 0; i < n; i++) {
        const p = next(req.oids[i]);
        varbinds.push(p < shape.size ? instance(shape, dev, p, tMs) : { oid: req.oids[i], type: TAG.EndOfMibView, value: null });
      }
      const r = req.oids.length - n;
      if (r === 0 || m === 0) return { errorStatus: 0, errorIndex: 0, varbinds };
      // Per repeater: the position to return next, and the name of its last varbind (for endOfMibView).
      const pos = new Int32Array(r);
      const names = req.oids.slice(n);
      for (let j = 0; j < r; j++) pos[j] = nextPosition(shape, names[j]);
      outer: for (let rep = 0; rep < m; rep++) {
        let live = 0;
        for (let j = 0; j < r; j++) {
          if (varbinds.length >= limits.maxVarbinds) break outer;
          const p = pos[j];
          if (p < shape.size) {
            const vb = instance(shape, dev, p, tMs);
            varbinds.push(vb);
            names[j] = vb.oid;
            pos[j] = p + 1;
            live++;
          } else {
            varbinds.push({ oid: names[j], type: TAG.EndOfMibView, value: null });
          }
        }
        // Every repeater is past the end: further repetitions would only repeat endOfMibView.
        if (live === 0) break;
      }
      return { errorStatus: 0, errorIndex: 0, varbinds };
    }
    case PDU.Set:
      return failure(req, v1 ? ERROR_STATUS.noSuchName : ERROR_STATUS.notWritable, 0);
    default:
      return failure(req, ERROR_STATUS.genErr, 0);
  }
}
