import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../common/errors.js';
import { cidrContains, createNetMatcher, parseAddress, parseCidr, parseIpv6 } from './cidr.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('parseCidr: valid networks, hosts and host bits', () => {
  const cases: Array<{ name: string; text: string; family: 4 | 6; prefix: number; net: string }> = [
    { name: 'v4 /24', text: '192.168.1.0/24', family: 4, prefix: 24, net: 'c0a80100' },
    { name: 'v4 host without prefix', text: '10.0.0.1', family: 4, prefix: 32, net: '0a000001' },
    { name: 'v4 host bits cleared', text: '10.1.2.3/8', family: 4, prefix: 8, net: '0a000000' },
    { name: 'v4 odd prefix', text: '172.31.255.255/12', family: 4, prefix: 12, net: 'ac100000' },
    { name: 'v4 /0', text: '0.0.0.0/0', family: 4, prefix: 0, net: '00000000' },
    { name: 'v4 surrounding spaces', text: ' 127.0.0.0/8 ', family: 4, prefix: 8, net: '7f000000' },
    { name: 'v6 /32', text: '2001:db8::/32', family: 6, prefix: 32, net: '20010db8000000000000000000000000' },
    { name: 'v6 loopback host', text: '::1', family: 6, prefix: 128, net: '00000000000000000000000000000001' },
    { name: 'v6 full form', text: '2001:0db8:0000:0000:0000:0000:0000:0001/128', family: 6, prefix: 128, net: '20010db8000000000000000000000001' },
    { name: 'v6 host bits cleared, odd prefix', text: 'fe80::1234/10', family: 6, prefix: 10, net: 'fe800000000000000000000000000000' },
    { name: 'v6 with v4 tail', text: '::ffff:192.0.2.1/128', family: 6, prefix: 128, net: '00000000000000000000ffffc0000201' },
    { name: 'v6 trailing ::', text: 'fd00::/8', family: 6, prefix: 8, net: 'fd000000000000000000000000000000' },
    { name: 'v6 all zeros', text: '::/0', family: 6, prefix: 0, net: '00000000000000000000000000000000' },
  ];
  for (const c of cases) {
    const r = parseCidr(c.text);
    assert.equal(r.family, c.family, c.name);
    assert.equal(r.prefix, c.prefix, c.name);
    assert.equal(hex(r.bytes), c.net, c.name);
    assert.equal(r.text, c.text, c.name);
  }
});

test('parseCidr: bad input names the text and the reason', () => {
  const cases: Array<{ name: string; text: string; reason: RegExp }> = [
    { name: 'empty', text: '', reason: /no address/ },
    { name: 'prefix too long v4', text: '10.0.0.0/33', reason: /prefix length must be 0\.\.32/ },
    { name: 'prefix too long v6', text: '::/129', reason: /prefix length must be 0\.\.128/ },
    { name: 'negative prefix', text: '10.0.0.0/-1', reason: /prefix length/ },
    { name: 'empty prefix', text: '10.0.0.0/', reason: /prefix length/ },
    { name: 'octet > 255', text: '10.0.0.256/8', reason: /not an IPv4 or IPv6 address/ },
    { name: 'leading zero octet', text: '010.0.0.1', reason: /not an IPv4 or IPv6 address/ },
    { name: 'three octets', text: '10.0.0/24', reason: /not an IPv4 or IPv6 address/ },
    { name: 'hostname', text: 'localhost', reason: /not an IPv4 or IPv6 address/ },
    { name: 'two ::', text: '1::2::3', reason: /not an IPv4 or IPv6 address/ },
    { name: 'nine groups', text: '1:2:3:4:5:6:7:8:9', reason: /not an IPv4 or IPv6 address/ },
    { name: ':: with eight groups', text: '1:2:3:4::5:6:7:8', reason: /not an IPv4 or IPv6 address/ },
    { name: 'group too long', text: '12345::', reason: /not an IPv4 or IPv6 address/ },
    { name: 'zone id', text: 'fe80::1%eth0', reason: /not an IPv4 or IPv6 address/ },
    { name: 'double slash', text: '10.0.0.0/8/8', reason: /prefix length/ },
  ];
  for (const c of cases) {
    assert.throws(() => parseCidr(c.text), (err: unknown) => {
      assert.ok(err instanceof InputError, c.name);
      assert.ok(err.message.startsWith(`${JSON.stringify(c.text)} is not a CIDR`), `${c.name}: ${err.message}`);
      assert.match(err.message, c.reason, c.name);
      return true;
    });
  }
});

test('parseIpv6 agrees with the text forms of the same address', () => {
  const same = ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', '2001:DB8:0:0:1::1', '2001:0db8:0000:0000:0001:0000:0000:0001'];
  const want = hex(parseIpv6(same[0])!);
  for (const s of same) assert.equal(hex(parseIpv6(s)!), want, s);
});

test('cidrContains and the matcher: v4 and v6, prefix edges, families kept apart', () => {
  const cases: Array<{ name: string; cidr: string; addr: string; want: boolean }> = [
    { name: 'v4 inside', cidr: '192.168.1.0/24', addr: '192.168.1.200', want: true },
    { name: 'v4 first outside', cidr: '192.168.1.0/24', addr: '192.168.2.0', want: false },
    { name: 'v4 /12 upper edge', cidr: '172.16.0.0/12', addr: '172.31.255.255', want: true },
    { name: 'v4 /12 just past', cidr: '172.16.0.0/12', addr: '172.32.0.0', want: false },
    { name: 'v4 /0 matches all v4', cidr: '0.0.0.0/0', addr: '8.8.8.8', want: true },
    { name: 'v4 host /32', cidr: '127.0.0.2', addr: '127.0.0.2', want: true },
    { name: 'v4 host /32 neighbour', cidr: '127.0.0.2', addr: '127.0.0.1', want: false },
    { name: 'v4 /31', cidr: '10.0.0.4/31', addr: '10.0.0.5', want: true },
    { name: 'v4 /31 outside', cidr: '10.0.0.4/31', addr: '10.0.0.6', want: false },
    { name: 'v6 inside /32', cidr: '2001:db8::/32', addr: '2001:db8:ffff::1', want: true },
    { name: 'v6 outside /32', cidr: '2001:db8::/32', addr: '2001:db9::1', want: false },
    { name: 'v6 /10 edge', cidr: 'fe80::/10', addr: 'febf:ffff::1', want: true },
    { name: 'v6 /10 past', cidr: 'fe80::/10', addr: 'fec0::1', want: false },
    { name: 'v6 /0 matches all v6', cidr: '::/0', addr: '2a00::1', want: true },
    { name: 'v4 net does not match v6', cidr: '0.0.0.0/0', addr: '::1', want: false },
    { name: 'v6 net does not match v4', cidr: '::/0', addr: '10.0.0.1', want: false },
    { name: 'mapped v6 is not v4', cidr: '192.0.2.0/24', addr: '::ffff:192.0.2.1', want: false },
  ];
  for (const c of cases) {
    const net = parseCidr(c.cidr);
    const a = parseAddress(c.addr);
    // In place at an offset, as in a frame.
    const frame = new Uint8Array(3 + a.bytes.length);
    frame.set(a.bytes, 3);
    assert.equal(cidrContains(net, a.family, frame, 3), c.want, c.name);
    assert.equal(createNetMatcher([parseCidr('203.0.113.0/24'), net]).contains(a.family, frame, 3), c.want, `${c.name} (matcher)`);
  }
  assert.equal(createNetMatcher([]).contains(4, new Uint8Array(4), 0), false, 'no networks: nothing is local');
  assert.equal(createNetMatcher([]).size, 0);
});
