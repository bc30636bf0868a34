import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkTypeName, linkTypeOf, locateAddresses, supportedLinkTypes } from './link-layer.js';
import { arpFrame, bsdLoopback, ethernet, ipv4, ipv6, sll, sll2 } from './pcap.fixture.js';

/** The addresses found, back in text form, or null. */
function found(linkType: number, frame: Uint8Array): string | null {
  const a = locateAddresses(linkType, frame);
  if (a === null) return null;
  const len = a.family === 4 ? 4 : 16;
  const txt = (off: number) => {
    const b = frame.subarray(off, off + len);
    if (a.family === 4) return [...b].join('.');
    const words: string[] = [];
    for (let i = 0; i < 16; i += 2) words.push(((b[i] << 8) | b[i + 1]).toString(16));
    return words.join(':');
  };
  return `v${a.family} ${txt(a.src)} > ${txt(a.dst)}`;
}

const V4 = ipv4('192.0.2.1', '198.51.100.7', 100);
const V6 = ipv6('2001:db8::1', '2001:db8::2', 120);
const V4_TXT = 'v4 192.0.2.1 > 198.51.100.7';
const V6_TXT = 'v6 2001:db8:0:0:0:0:0:1 > 2001:db8:0:0:0:0:0:2';

test('locateAddresses: each link type, IPv4 and IPv6, VLAN tags', () => {
  const cases: Array<{ name: string; linkType: number; frame: Uint8Array; want: string | null }> = [
    { name: 'Ethernet IPv4', linkType: 1, frame: ethernet(V4), want: V4_TXT },
    { name: 'Ethernet IPv6', linkType: 1, frame: ethernet(V6), want: V6_TXT },
    { name: 'Ethernet 802.1Q IPv4', linkType: 1, frame: ethernet(V4, { vlans: [0x8100] }), want: V4_TXT },
    { name: 'Ethernet QinQ (802.1ad + 802.1Q) IPv6', linkType: 1, frame: ethernet(V6, { vlans: [0x88a8, 0x8100] }), want: V6_TXT },
    { name: 'Ethernet old QinQ 0x9100 IPv4', linkType: 1, frame: ethernet(V4, { vlans: [0x9100, 0x8100] }), want: V4_TXT },
    { name: 'Ethernet ARP', linkType: 1, frame: arpFrame(), want: null },
    { name: 'Ethernet 802.3 length field (LLC)', linkType: 1, frame: ethernet(Buffer.alloc(46), { ethertype: 46 }), want: null },
    { name: 'Ethernet ethertype IPv4 but version 6', linkType: 1, frame: ethernet(V6, { ethertype: 0x0800 }), want: null },
    { name: 'Ethernet cut before the addresses', linkType: 1, frame: ethernet(V4).subarray(0, 14 + 19), want: null },
    { name: 'Ethernet cut in the VLAN tag', linkType: 1, frame: ethernet(V4, { vlans: [0x8100] }).subarray(0, 15), want: null },
    { name: 'Ethernet runt', linkType: 1, frame: new Uint8Array(10), want: null },
    { name: 'SLL IPv4', linkType: 113, frame: sll(V4), want: V4_TXT },
    { name: 'SLL IPv6', linkType: 113, frame: sll(V6), want: V6_TXT },
    { name: 'SLL VLAN IPv4', linkType: 113, frame: sll(V4, { vlan: true }), want: V4_TXT },
    { name: 'SLL ARP', linkType: 113, frame: sll(Buffer.alloc(28), { ethertype: 0x0806 }), want: null },
    { name: 'SLL2 IPv4', linkType: 276, frame: sll2(V4), want: V4_TXT },
    { name: 'SLL2 IPv6', linkType: 276, frame: sll2(V6), want: V6_TXT },
    { name: 'raw 101 IPv4', linkType: 101, frame: V4, want: V4_TXT },
    { name: 'raw 101 IPv6', linkType: 101, frame: V6, want: V6_TXT },
    { name: 'raw 12 IPv4', linkType: 12, frame: V4, want: V4_TXT },
    { name: 'raw 14 IPv6', linkType: 14, frame: V6, want: V6_TXT },
    { name: 'raw, not IP', linkType: 101, frame: Buffer.from('00112233445566778899aabbccddeeff0011223344', 'hex'), want: null },
    { name: 'raw IPv6 cut at 39 bytes', linkType: 101, frame: V6.subarray(0, 39), want: null },
    { name: 'raw empty', linkType: 101, frame: new Uint8Array(0), want: null },
    { name: 'BSD loopback IPv4', linkType: 0, frame: bsdLoopback(V4, 2), want: V4_TXT },
    { name: 'BSD loopback IPv6 (macOS 30)', linkType: 0, frame: bsdLoopback(V6, 30), want: V6_TXT },
    { name: 'OpenBSD loop IPv6 (24)', linkType: 108, frame: bsdLoopback(V6, 24), want: V6_TXT },
    { name: 'unknown link type', linkType: 105, frame: V4, want: null },
  ];
  for (const c of cases) assert.equal(found(c.linkType, c.frame), c.want, c.name);
});

test('link type names and the FCS bits of the header value', () => {
  assert.equal(linkTypeOf(1), 1);
  assert.equal(linkTypeOf(0x10000001), 1, 'FCS length bits masked off');
  assert.equal(linkTypeName(113), 'Linux cooked capture (LINUX_SLL)');
  assert.equal(linkTypeName(147), 'link type 147');
  assert.match(supportedLinkTypes(), /^0 \(BSD loopback \(NULL\)\), 1 \(Ethernet \(EN10MB\)\), 12 \(raw IP\)/);
});
