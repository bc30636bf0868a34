// SNMP varbinds as the rest of netmon sees them (net-snmp's wire types as plain numbers), and the
// exception types that end a column. Its own file so the session adapter, the v1 GETNEXT logic,
// the walker and the fakes all depend on it and not on each other.
import snmp from 'net-snmp';

export interface RawVarbind {
  oid: string;
  type: number;
  value: unknown;
}

// Plain numbers: varbind types arrive as numbers from the wire (and from fakes).
export const END_OF_MIB_VIEW: number = snmp.ObjectType.EndOfMibView;
export const NO_SUCH_OBJECT: number = snmp.ObjectType.NoSuchObject;
export const NO_SUCH_INSTANCE: number = snmp.ObjectType.NoSuchInstance;

