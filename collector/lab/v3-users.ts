// The SNMPv3 users a lab agent accepts when the lab has a v3 user (pure data). Besides the user as
// configured (authPriv, SHA-1 + AES-128), one user per security level and per protocol net-snmp
// offers (SHA-1/224/256/384/512; AES-128 and the two AES-256 key localisations, Blumenthal "b" and
// Reeder "r"; net-snmp has no AES-192), named <user>-<suffix>, with the same passphrases, so tests
// and demos can poll a lab device at each level.
import type { SNMP_AUTH_PROTOCOLS, SNMP_PRIV_PROTOCOLS, SNMP_V3_LEVELS } from '../../common/config/schema.js';

export interface V3Variant {
  /** Appended to the lab's v3 user name ('' = the user itself). */
  readonly suffix: string;
  readonly level: (typeof SNMP_V3_LEVELS)[number];
  readonly authProtocol?: (typeof SNMP_AUTH_PROTOCOLS)[number];
  readonly privProtocol?: (typeof SNMP_PRIV_PROTOCOLS)[number];
}

export const V3_VARIANTS: readonly V3Variant[] = [
  { suffix: '', level: 'authPriv', authProtocol: 'sha', privProtocol: 'aes' },
  { suffix: 'noauth', level: 'noAuthNoPriv' },
  { suffix: 'auth-sha', level: 'authNoPriv', authProtocol: 'sha' },
  { suffix: 'auth-sha224', level: 'authNoPriv', authProtocol: 'sha224' },
  { suffix: 'auth-sha256', level: 'authNoPriv', authProtocol: 'sha256' },
  { suffix: 'auth-sha384', level: 'authNoPriv', authProtocol: 'sha384' },
  { suffix: 'auth-sha512', level: 'authNoPriv', authProtocol: 'sha512' },
  { suffix: 'priv-sha224-aes', level: 'authPriv', authProtocol: 'sha224', privProtocol: 'aes' },
  { suffix: 'priv-sha256-aes', level: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes' },
  { suffix: 'priv-sha384-aes256b', level: 'authPriv', authProtocol: 'sha384', privProtocol: 'aes256b' },
  { suffix: 'priv-sha512-aes256r', level: 'authPriv', authProtocol: 'sha512', privProtocol: 'aes256r' },
  { suffix: 'priv-sha-aes256b', level: 'authPriv', authProtocol: 'sha', privProtocol: 'aes256b' },
];

export function variantUser(user: string, v: V3Variant): string {
  return v.suffix === '' ? user : `${user}-${v.suffix}`;
}

export function findVariant(suffix: string): V3Variant {
  const v = V3_VARIANTS.find((x) => x.suffix === suffix);
  if (!v) throw new RangeError(`no lab v3 user variant "${suffix}"; allowed: ${V3_VARIANTS.map((x) => JSON.stringify(x.suffix)).join(', ')}`);
  return v;
}
