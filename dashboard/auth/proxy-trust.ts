// Single sign-on through a reverse proxy, the pure part: whether the TCP peer is one of the trusted
// proxies (addresses or CIDRs, IPv4 and IPv6, an IPv4-mapped IPv6 peer counts as its IPv4), and the
// role a user's groups map to. Rules: the headers of any other peer are ignored (the caller logs
// it); a user in no mapped group gets the default role, or none.
import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../../common/errors.js';
import { highestRole, type Role } from './roles.js';

export interface ProxyTrust {
  trusts(peer: string): boolean;
}

function plainAddress(a: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return m ? m[1] : a;
}

/** Parses the configured list; a bad entry is a ConfigError naming it. */
export function createProxyTrust(entries: readonly string[]): ProxyTrust {
  const list = new BlockList();
  entries.forEach((entry, i) => {
    const [addr, bits, extra] = entry.split('/');
    const family = isIP(addr);
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) {
      throw new ConfigError(`dashboard.auth.proxy.trustedProxies[${i}]`, `${JSON.stringify(entry)} is not an IP address or CIDR (e.g. 10.0.0.5, 10.0.0.0/24, fd00::/64)`);
    }
    list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
  });
  return {
    trusts(peer) {
      const a = plainAddress(peer);
      const family = isIP(a);
      return family !== 0 && list.check(a, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** Groups from the groups header: comma (or space) separated, trimmed, at most 100. */
export function parseGroups(header: string | undefined): string[] {
  if (!header) return [];
  return header.split(/[,\s]+/).map((g) => g.trim()).filter((g) => g !== '').slice(0, 100);
}

export function proxyRole(groups: readonly string[], roleMap: Readonly<Record<string, Role>>, defaultRole: Role | undefined): Role | null {
  return highestRole(groups.map((g) => (Object.hasOwn(roleMap, g) ? roleMap[g] : null))) ?? defaultRole ?? null;
}

/** A user name from the header, as it may appear in logs and the UI: printable, at most 128 characters. */
export function proxyUserName(header: string | undefined): string | null {
  if (!header) return null;
  const name = header.trim();
  return /^[\x21-\x7e]{1,128}$/.test(name) ? name : null;
}
