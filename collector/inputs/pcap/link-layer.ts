// Where the IP addresses are in a captured frame, per pcap link type, pure. Rules: Ethernet (with
// any number of 802.1Q / 802.1ad / QinQ VLAN tags), Linux cooked capture v1 and v2, raw IP, BSD
// loopback; IPv4 and IPv6. Anything else (ARP, LLDP, an unknown link type, a frame cut short by
// the snapshot length before the addresses) has no addresses: the caller still counts it, its
// direction is undecidable. The link type is the header's value masked to its low 26 bits (the
// upper bits carry FCS information, as in libpcap's LT_LINKTYPE).
import type { IpFamily } from './cidr.js';

/** The link types whose frames we can find IP addresses in, with their names for messages. */
export const LINK_TYPES: ReadonlyMap<number, string> = new Map([
  [0, 'BSD loopback (NULL)'],
  [1, 'Ethernet (EN10MB)'],
  [12, 'raw IP'],
  [14, 'raw IP'],
  [101, 'raw IP'],
  [108, 'OpenBSD loopback (LOOP)'],
  [113, 'Linux cooked capture (LINUX_SLL)'],
  [276, 'Linux cooked capture v2 (LINUX_SLL2)'],
]);

export const linkTypeOf = (headerValue: number): number => headerValue & 0x03ffffff;

export function linkTypeName(linkType: number): string {
  return LINK_TYPES.get(linkType) ?? `link type ${linkType}`;
}

/** "1 (Ethernet (EN10MB)), 12 (raw IP), ..." from the same table the parser uses. */
export function supportedLinkTypes(): string {
  return [...LINK_TYPES].map(([n, name]) => `${n} (${name})`).join(', ');
}

export interface IpAddresses {
  family: IpFamily;
  /** Offsets of the source and destination address in the frame. */
  src: number;
  dst: number;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_TPIDS = new Set([0x8100, 0x88a8, 0x9100, 0x9200]);
// BSD loopback: the address family in the capturing host's byte order (2 everywhere; IPv6 is 10 on
// Linux, 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on macOS).
const AF_INET6_VALUES = new Set([10, 24, 28, 30]);

const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];

/** The IP header at `off`: its addresses, or null when it is not there (or cut short). */
function ipAt(frame: Uint8Array, off: number, expect: IpFamily | null): IpAddresses | null {
  if (off >= frame.length) return null;
  const version = frame[off] >> 4;
  if (expect !== null && version !== expect) return null;
  if (version === 4 && frame.length >= off + 20) return { family: 4, src: off + 12, dst: off + 16 };
  if (version === 6 && frame.length >= off + 40) return { family: 6, src: off + 8, dst: off + 24 };
  return null;
}

/**
 * From an ethertype `type` whose payload starts at `payload`: follows VLAN tags (each is a TCI,
 * then the next ethertype) to the IP header.
 */
function byEthertype(frame: Uint8Array, type: number, payload: number): IpAddresses | null {
  let t = type;
  let p = payload;
  for (;;) {
    if (t === ETHERTYPE_IPV4) return ipAt(frame, p, 4);
    if (t === ETHERTYPE_IPV6) return ipAt(frame, p, 6);
    if (!VLAN_TPIDS.has(t) || p + 4 > frame.length) return null;
    t = u16(frame, p + 2);
    p += 4;
  }
}

/** Finds the IP source and destination in a frame of `linkType`; null when it has none. */
export function locateAddresses(linkType: number, frame: Uint8Array): IpAddresses | null {
  switch (linkType) {
    case 1: // Ethernet: dst MAC (6), src MAC (6), ethertype (2)
      return frame.length >= 14 ? byEthertype(frame, u16(frame, 12), 14) : null;
    case 113: // LINUX_SLL: packet type, ARPHRD, address length, address (8), protocol: 16 bytes
      return frame.length >= 16 ? byEthertype(frame, u16(frame, 14), 16) : null;
    case 276: // LINUX_SLL2: protocol, reserved, ifindex, ARPHRD, packet type, address length, address (8): 20 bytes
      return frame.length >= 20 ? byEthertype(frame, u16(frame, 0), 20) : null;
    case 12:
    case 14:
    case 101:
      return ipAt(frame, 0, null);
    case 0:
    case 108: {
      if (frame.length < 4) return null;
      const be = ((frame[0] << 24) | (frame[1] << 16) | (frame[2] << 8) | frame[3]) >>> 0;
      const le = ((frame[3] << 24) | (frame[2] << 16) | (frame[1] << 8) | frame[0]) >>> 0;
      if (be === 2 || le === 2) return ipAt(frame, 4, 4);
      if (AF_INET6_VALUES.has(be) || AF_INET6_VALUES.has(le)) return ipAt(frame, 4, 6);
      return null;
    }
    default:
      return null;
  }
}
