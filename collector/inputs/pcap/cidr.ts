// Local networks for the pcap input's direction rule: CIDR parsing and matching on raw address
// bytes, pure. Rules: an address without "/len" is one host (/32, /128); host bits after the
// prefix are allowed and ignored (10.1.2.3/8 = 10.0.0.0/8, as `ip route` reads it); IPv4
// prefixes match only IPv4 packets and IPv6 prefixes only IPv6 packets (an IPv4-mapped
// ::ffff:a.b.c.d is an IPv6 address here, as it is on the wire). Matching reads the address in
// place in the frame, so classifying a packet allocates nothing.
import { InputError } from '../../../common/errors.js';

export type IpFamily = 4 | 6;

export interface Cidr {
  family: IpFamily;
  /** The network address, host bits cleared: 4 or 16 bytes. */
  bytes: Uint8Array;
  prefix: number;
  /** As written by the user, for messages. */
  text: string;
}

/** Text that is not an address or a CIDR: an InputError (no field: the caller knows where the text came from) saying what is wrong. */
function notCidr(text: string, reason: string): InputError {
  return new InputError('', reason, { message: `${JSON.stringify(text)} is not a CIDR (${reason}); expected e.g. 192.168.1.0/24, 10.0.0.1, 2001:db8::/32 or ::1` });
}

const DEC_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** Dotted-quad IPv4 (no leading zeros: 010 would be octal to inet_aton) -> 4 bytes, or null. */
export function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!DEC_OCTET.test(parts[i])) return null;
    const n = Number(parts[i]);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** RFC 4291 text form (with "::" and an optional dotted-quad tail; no zone id) -> 16 bytes, or null. */
export function parseIpv6(text: string): Uint8Array | null {
  if (text.includes('%')) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  // The groups in order, with '::' marking where the run of zero groups goes.
  const all = halves.length === 2 ? [...groups(halves[0]), '::', ...groups(halves[1])] : groups(halves[0]);
  const words: number[] = [];
  let gap = -1;
  for (let i = 0; i < all.length; i++) {
    const g = all[i];
    if (g === '::') {
      gap = words.length;
      continue;
    }
    if (i === all.length - 1 && g.includes('.')) {
      const v4 = parseIpv4(g);
      if (v4 === null) return null;
      words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      continue;
    }
    if (!HEX_GROUP.test(g)) return null;
    words.push(parseInt(g, 16));
  }
  if (gap === -1 && words.length !== 8) return null;
  // "::" stands for at least one zero group.
  if (gap !== -1 && words.length > 7) return null;
  const full = gap === -1 ? words : [...words.slice(0, gap), ...new Array<number>(8 - words.length).fill(0), ...words.slice(gap)];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = full[i] >> 8;
    out[2 * i + 1] = full[i] & 0xff;
  }
  return out;
}

/** An IPv4 or IPv6 address in text form -> its bytes and family; throws an InputError. */
export function parseAddress(text: string): { family: IpFamily; bytes: Uint8Array } {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { family: 4, bytes: v4 };
  const v6 = text.includes(':') ? parseIpv6(text) : null;
  if (v6 !== null) return { family: 6, bytes: v6 };
  throw notCidr(text, 'not an IPv4 or IPv6 address');
}

/** "addr" or "addr/len" -> Cidr; throws an InputError naming the text. */
export function parseCidr(text: string): Cidr {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addrText = slash === -1 ? t : t.slice(0, slash);
  let family: IpFamily;
  let bytes: Uint8Array;
  try {
    ({ family, bytes } = parseAddress(addrText));
  } catch {
    throw notCidr(text, addrText === '' ? 'no address' : `${JSON.stringify(addrText)} is not an IPv4 or IPv6 address`);
  }
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = t.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max) throw notCidr(text, `prefix length must be 0..${max}`);
    prefix = Number(p);
  }
  return { family, bytes: maskTo(bytes, prefix), prefix, text };
}

function maskTo(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = prefix - 8 * i;
    if (bits >= 8) continue;
    out[i] &= bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
  return out;
}

/** Does the address of `family` at `buf[offset..]` lie in `c`? */
export function cidrContains(c: Cidr, family: IpFamily, buf: Uint8Array, offset: number): boolean {
  if (c.family !== family) return false;
  const whole = c.prefix >> 3;
  for (let i = 0; i < whole; i++) if (buf[offset + i] !== c.bytes[i]) return false;
  const rest = c.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (buf[offset + whole] & mask) === c.bytes[whole];
}

/** The set of local networks: is an address (in place in a frame) local? */
export interface NetMatcher {
  readonly size: number;
  contains(family: IpFamily, buf: Uint8Array, offset: number): boolean;
}

export function createNetMatcher(cidrs: readonly Cidr[]): NetMatcher {
  const v4 = cidrs.filter((c) => c.family === 4);
  const v6 = cidrs.filter((c) => c.family === 6);
  return {
    size: cidrs.length,
    contains(family, buf, offset) {
      const list = family === 4 ? v4 : v6;
      for (let i = 0; i < list.length; i++) if (cidrContains(list[i], family, buf, offset)) return true;
      return false;
    },
  };
}
