/** The shared numbers of wire/ against their registries and RFCs, written out here independently. */
import { describe, it, expect } from 'vitest';
import * as icmp from '../../src/wire/icmp.js';
import * as dns from '../../src/wire/dns.js';
import { IpProtocol, hasPorts } from '../../src/wire/ipproto.js';
import { ExtHeader, isExtension } from '../../src/wire/ipv6.js';
import { EtherType } from '../../src/wire/ethernet.js';
import { LinkType } from '../../src/wire/linktype.js';
import { LinkType as CaptureLinkType, linkTypeName } from '../../src/capture/linktypes.js';

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => a + k);

describe('wire vocabulary', () => {
  it('ICMPv4 classes per RFC 792 and RFC 950', () => {
    const errors = [3, 4, 5, 11, 12];
    const requests = [8, 13, 15, 17];
    const replies = [0, 14, 16, 18];
    for (const t of range(0, 255)) {
      expect(icmp.isError(1, t), `type ${t}`).toBe(errors.includes(t));
      expect(icmp.isRequest(1, t), `type ${t}`).toBe(requests.includes(t));
      expect(icmp.isQuery(1, t), `type ${t}`).toBe(requests.includes(t) || replies.includes(t));
      expect(icmp.isEcho4(t)).toBe(t === 0 || t === 8);
    }
  });

  it('ICMPv6 classes per RFC 4443', () => {
    for (const t of range(0, 255)) {
      expect(icmp.isError(58, t)).toBe(t < 128);
      expect(icmp.isQuery(58, t)).toBe(t === 128 || t === 129);
      expect(icmp.isRequest(58, t)).toBe(t === 128);
    }
  });

  it('DNS ports: DNS, mDNS, LLMNR', () => {
    expect([...dns.DNS_PORTS]).toEqual([53, 5353, 5355]);
    expect(range(0, 65535).filter(dns.isDnsPort)).toEqual([53, 5353, 5355]);
  });

  it('IP protocol numbers (IANA) and the IPv6 extension headers among them', () => {
    expect(IpProtocol).toMatchObject({ ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, DCCP: 33, IPV6: 41, GRE: 47, ICMPV6: 58, SCTP: 132, UDPLITE: 136 });
    expect(ExtHeader).toMatchObject({ HOP_BY_HOP: 0, ROUTING: 43, FRAGMENT: 44, AH: 51, DEST_OPTS: 60, MOBILITY: 135 });
    expect(range(0, 255).filter(isExtension)).toEqual([0, 43, 44, 51, 60, 135, 139, 140]);
    expect(range(0, 255).filter(hasPorts)).toEqual([6, 17, 33, 132, 136]);
  });

  it('EtherTypes (IEEE registry) and link types (tcpdump.org) have one definition', () => {
    expect(EtherType).toMatchObject({ IPV4: 0x0800, IPV6: 0x86dd, VLAN: 0x8100, QINQ: 0x88a8, TEB: 0x6558, ERSPAN_II: 0x88be, ERSPAN_III: 0x22eb, PPP: 0x880b, MPLS: 0x8847 });
    expect(CaptureLinkType).toBe(LinkType);
    expect(LinkType).toMatchObject({ NULL: 0, ETHERNET: 1, RAW: 101, LINUX_SLL: 113, LINUX_SLL2: 276, IPV4: 228, IPV6: 229 });
    expect(linkTypeName(LinkType.ETHERNET)).toBe('EN10MB');
  });
});
