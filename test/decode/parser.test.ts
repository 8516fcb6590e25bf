import { describe, it, expect } from 'vitest';
import { PacketBatch, Layer, Anomaly, Frag, AppFlag } from '../../src/decode/batch.js';
import { PacketParser } from '../../src/decode/parser.js';
import { Problems } from '../../src/capture/problems.js';
import { TcpFlag } from '../../src/wire/tcp.js';
import * as ip4 from '../../src/wire/ipv4.js';
import { ipv4Packet, ipv6Packet, ethernet, hex } from '../helpers/packets.js';

function decode(linkType: number, bytes: Uint8Array, origlen = bytes.length, fcsLen = 0) {
  const batch = new PacketBatch(4);
  const problems = new Problems();
  const parser = new PacketParser(batch, problems);
  // Decode at a non-zero offset inside a larger buffer, as the reader does.
  const buf = new Uint8Array(bytes.length + 7);
  buf.set(bytes, 7);
  parser.decode(buf, 7, bytes.length, origlen, linkType, fcsLen, 1000, 0);
  const i = 0;
  return {
    batch,
    problems,
    row: {
      layer: batch.layer[i],
      anomaly: batch.anomaly[i],
      family: batch.family[i],
      proto: batch.proto[i],
      src: batch.family[i] === 4 ? ip4.formatAddress(batch.src[0]!) : Array.from(batch.src.subarray(0, 4)),
      dst: batch.family[i] === 4 ? ip4.formatAddress(batch.dst[0]!) : Array.from(batch.dst.subarray(0, 4)),
      sport: batch.sport[i],
      dport: batch.dport[i],
      flags: batch.tcpFlags[i],
      ttl: batch.ttl[i],
      frag: batch.frag[i],
      payloadLen: batch.payloadLen[i],
    },
  };
}

const SYN = ipv4Packet('10.0.1.5', '10.0.2.10', { proto: 'tcp', sport: 40000, dport: 443, flags: TcpFlag.SYN, options: [2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7] });

describe('decode: link types', () => {
  const expectSyn = (row: ReturnType<typeof decode>['row']) =>
    expect(row).toMatchObject({ layer: Layer.TRANSPORT, anomaly: 0, family: 4, proto: 6, src: '10.0.1.5', dst: '10.0.2.10', sport: 40000, dport: 443, flags: TcpFlag.SYN, ttl: 64 });

  it('Ethernet, 802.1Q, 802.1ad + 802.1Q (QinQ)', () => {
    expectSyn(decode(1, ethernet(SYN)).row);
    expectSyn(decode(1, ethernet(SYN, [{ tpid: 0x8100, vid: 10 }])).row);
    expectSyn(decode(1, ethernet(SYN, [{ tpid: 0x88a8, vid: 100 }, { tpid: 0x8100, vid: 10 }])).row);
    expectSyn(decode(1, ethernet(SYN, [{ tpid: 0x9100, vid: 1 }, { tpid: 0x88a8, vid: 2 }, { tpid: 0x8100, vid: 3 }])).row);
  });

  it('Linux SLL and SLL2', () => {
    const sll = new Uint8Array(16 + SYN.length);
    sll.set(hex('0000 0001 0006 020000000001 0000 0800'));
    sll.set(SYN, 16);
    expectSyn(decode(113, sll).row);
    const sll2 = new Uint8Array(20 + SYN.length);
    sll2.set(hex('0800 0000 00000002 0001 00 06 020000000001 0000'));
    sll2.set(SYN, 20);
    expectSyn(decode(276, sll2).row);
  });

  it('raw IP (101, 12, 14), IPv4 (228), IPv6 (229)', () => {
    for (const lt of [101, 12, 14, 228]) expectSyn(decode(lt, SYN).row);
    const v6 = ipv6Packet('2001:db8::1', '2001:db8::2', { proto: 'udp', sport: 5353, dport: 53 });
    for (const lt of [101, 229]) expect(decode(lt, v6).row).toMatchObject({ family: 6, proto: 17, sport: 5353, dport: 53, layer: Layer.TRANSPORT });
  });

  it('NULL in either byte order and LOOP', () => {
    const le = new Uint8Array(4 + SYN.length);
    le.set([2, 0, 0, 0]);
    le.set(SYN, 4);
    expectSyn(decode(0, le).row);
    const be = le.slice();
    be.set([0, 0, 0, 2]);
    expectSyn(decode(0, be).row);
    expectSyn(decode(108, be).row);
    const v6 = ipv6Packet('::1', '::1', { proto: 'tcp', sport: 1, dport: 2 });
    for (const af of [10, 24, 28, 30]) {
      const b = new Uint8Array(4 + v6.length);
      b.set([af, 0, 0, 0]);
      b.set(v6, 4);
      expect(decode(0, b).row.family).toBe(6);
    }
  });

  it('PPP, PPPoE over Ethernet, MPLS', () => {
    const pppFrame = new Uint8Array(4 + SYN.length);
    pppFrame.set([0xff, 0x03, 0x00, 0x21]);
    pppFrame.set(SYN, 4);
    expectSyn(decode(9, pppFrame).row);
    const pppoe = new Uint8Array(14 + 8 + SYN.length);
    pppoe.set(hex('020000000002 020000000001 8864 1100 0001 0000 0021'));
    pppoe.set(SYN, 22);
    expectSyn(decode(1, pppoe).row);
    const mplsFrame = new Uint8Array(14 + 8 + SYN.length);
    mplsFrame.set(hex('020000000002 020000000001 8847 00010040 00020140'));
    mplsFrame.set(SYN, 22);
    expectSyn(decode(1, mplsFrame).row);
  });

  it('counts other link types and non-IP EtherTypes without a problem', () => {
    const r = decode(105, SYN);
    expect(r.row.layer).toBe(Layer.NONE);
    const arp = decode(1, hex('ffffffffffff 020000000001 0806 0001 0800 0604 0001'));
    expect(arp.row).toMatchObject({ layer: Layer.LINK, family: 0 });
    expect(r.problems.total() + arp.problems.total()).toBe(0);
  });

  it('strips a trailing FCS only from whole frames', () => {
    const frame = ethernet(SYN);
    const withFcs = new Uint8Array(frame.length + 4);
    withFcs.set(frame);
    const r = decode(1, withFcs, withFcs.length, 4);
    expect(r.row).toMatchObject({ layer: Layer.TRANSPORT, anomaly: 0, payloadLen: 0 });
  });
});

describe('decode: IPv4', () => {
  it('skips options and reads TCP SYN options', () => {
    const p = ipv4Packet('1.2.3.4', '5.6.7.8', { proto: 'tcp', sport: 1, dport: 2, flags: TcpFlag.SYN, options: [2, 4, 5, 0xb4] }, { options: [1, 1, 1, 1, 1, 1, 1, 0] });
    const { batch, row } = decode(101, p);
    expect(row).toMatchObject({ proto: 6, sport: 1, dport: 2 });
    expect(batch.tcpMss[0]).toBe(1460);
    expect(batch.tcpWscale[0]).toBe(255);
    expect(batch.tcpOptCount[0]).toBe(1);
  });

  it('accepts total length 0 (GSO/big TCP) and takes the length from the frame', () => {
    const p = ipv4Packet('1.2.3.4', '5.6.7.8', { proto: 'tcp', sport: 1, dport: 2, flags: TcpFlag.ACK, payload: new Uint8Array(3000) });
    p[2] = 0;
    p[3] = 0;
    const { row, problems } = decode(101, p);
    expect(row).toMatchObject({ layer: Layer.TRANSPORT, anomaly: 0, payloadLen: 3000 });
    expect(problems.total()).toBe(0);
  });

  it('computes the payload from the IP length, not Ethernet padding, and sees snaplen cuts', () => {
    const p = ipv4Packet('1.2.3.4', '5.6.7.8', { proto: 'udp', sport: 1, dport: 2, payload: new Uint8Array(4) });
    const padded = ethernet(p);
    const frame = new Uint8Array(64);
    frame.set(padded);
    expect(decode(1, frame).row.payloadLen).toBe(4);
    const big = ipv4Packet('1.2.3.4', '5.6.7.8', { proto: 'tcp', sport: 1, dport: 2, flags: TcpFlag.ACK, payload: new Uint8Array(1000) });
    const cut = decode(101, big.subarray(0, 54), big.length);
    expect(cut.row).toMatchObject({ layer: Layer.TRANSPORT, anomaly: 0, payloadLen: 1000 });
  });

  it('marks fragments: first with ports, later without', () => {
    const first = ipv4Packet('1.2.3.4', '5.6.7.8', { proto: 'udp', sport: 7, dport: 9, payload: new Uint8Array(16) }, { moreFragments: true, dontFragment: false, ident: 77 });
    const r1 = decode(101, first);
    expect(r1.row).toMatchObject({ frag: Frag.FIRST, sport: 7, dport: 9 });
    expect(r1.batch.fragId[0]).toBe(77);
    const later = ipv4Packet('1.2.3.4', '5.6.7.8', { proto: 17, payload: new Uint8Array(16) }, { fragOffset: 24, dontFragment: false, ident: 77 });
    const r2 = decode(101, later);
    expect(r2.row).toMatchObject({ frag: Frag.LATER, proto: 17, sport: 0, dport: 0, layer: Layer.NETWORK });
  });

  it('reports impossible headers with the file offset of the bad byte', () => {
    const p = SYN.slice();
    p[0] = 0x43; // IHL 3
    const r = decode(101, p);
    expect(r.row.anomaly).toBe(Anomaly.MALFORMED);
    expect(r.problems.details[0]).toMatchObject({ kind: 'bad-ip-header', offset: 1000 });
    const frame = ethernet(SYN);
    const t = decode(1, frame.subarray(0, 14 + 20 + 10), frame.length);
    expect(t.row).toMatchObject({ anomaly: Anomaly.TRUNCATED, family: 4, layer: Layer.NETWORK });
    expect(t.problems.details[0]).toMatchObject({ kind: 'truncated-packet', offset: 1000 + 34 });
    const longer = SYN.slice();
    longer[2] = 0x05; // total length 1280+ > the frame
    const l = decode(101, longer);
    expect(l.problems.details[0]).toMatchObject({ kind: 'bad-ip-header' });
    const tcpOff = SYN.slice();
    tcpOff[20 + 12] = 0x30;
    expect(decode(101, tcpOff).problems.details[0]).toMatchObject({ kind: 'bad-tcp-header', offset: 1020 });
  });
});

describe('decode: IPv6', () => {
  it('walks hop-by-hop, routing, destination options to TCP', () => {
    const ext = (type: number): [number, Uint8Array] => [type, new Uint8Array(8)];
    const p = ipv6Packet('2001:db8::1', '2001:db8::2', { proto: 'tcp', sport: 33000, dport: 22, flags: TcpFlag.SYN }, [ext(0), ext(43), ext(60)], 128);
    const { row } = decode(229, p);
    expect(row).toMatchObject({ family: 6, proto: 6, sport: 33000, dport: 22, ttl: 128, layer: Layer.TRANSPORT });
    expect(row.src).toEqual([0x20010db8, 0, 0, 1]);
  });

  it('reads the fragment header: first fragment keeps ports, later ones do not', () => {
    const fragHdr = (offset: number, more: boolean) => {
      const b = new Uint8Array(8);
      b[2] = (offset >> 8) & 0xff;
      b[3] = (offset & 0xf8) | (more ? 1 : 0);
      b.set([0, 0, 0, 9], 4);
      return b;
    };
    const first = decode(229, ipv6Packet('::1', '::2', { proto: 'udp', sport: 1, dport: 2 }, [[44, fragHdr(0, true)]]));
    expect(first.row).toMatchObject({ frag: Frag.FIRST, proto: 17, sport: 1 });
    expect(first.batch.fragId[0]).toBe(9);
    const later = decode(229, ipv6Packet('::1', '::2', { proto: 'udp', sport: 1, dport: 2 }, [[44, fragHdr(64, false)]]));
    expect(later.row).toMatchObject({ frag: Frag.LATER, proto: 17, sport: 0 });
  });
});

describe('decode: UDP, ICMP', () => {
  it('reads the DNS QR bit', () => {
    const q = decode(101, ipv4Packet('1.1.1.1', '2.2.2.2', { proto: 'udp', sport: 40000, dport: 53, payload: hex('1234 0100 0001 0000 0000 0000') }));
    expect(q.batch.appFlags[0]).toBe(AppFlag.DNS_QUERY);
    const r = decode(101, ipv4Packet('2.2.2.2', '1.1.1.1', { proto: 'udp', sport: 53, dport: 40000, payload: hex('1234 8180 0001 0001 0000 0000') }));
    expect(r.batch.appFlags[0]).toBe(AppFlag.DNS_RESPONSE);
  });

  it('puts the echo identifier in both port columns', () => {
    const { row, batch } = decode(101, ipv4Packet('1.1.1.1', '2.2.2.2', { proto: 'icmp', icmpType: 8, ident: 0x4242 }));
    expect(row).toMatchObject({ proto: 1, sport: 0x4242, dport: 0x4242 });
    expect(batch.icmpType[0]).toBe(8);
    const v6 = decode(229, ipv6Packet('::1', '::2', { proto: 'icmp6', icmpType: 129, ident: 7 }));
    expect(v6.row).toMatchObject({ proto: 58, sport: 7, dport: 7 });
  });

  it('reads the packet quoted by ICMP errors', () => {
    const inner = ipv4Packet('10.0.1.5', '10.0.2.10', { proto: 'udp', sport: 33333, dport: 9999 });
    const unreachable = ipv4Packet('10.0.2.10', '10.0.1.5', { proto: 'icmp', icmpType: 3, icmpCode: 3, payload: inner.subarray(0, 28) });
    const { batch } = decode(101, unreachable);
    expect(batch.icmpType[0]).toBe(3);
    expect(batch.icmpCode[0]).toBe(3);
    expect(batch.quoteProto[0]).toBe(17);
    expect(ip4.formatAddress(batch.quoteSrc[0]!)).toBe('10.0.1.5');
    expect(ip4.formatAddress(batch.quoteDst[0]!)).toBe('10.0.2.10');
    expect([batch.quoteSport[0], batch.quoteDport[0]]).toEqual([33333, 9999]);

    const inner6 = ipv6Packet('2001:db8::5', '2001:db8::a', { proto: 'tcp', sport: 50000, dport: 443, flags: TcpFlag.ACK });
    const ptb = decode(229, ipv6Packet('2001:db8::a', '2001:db8::5', { proto: 'icmp6', icmpType: 2, payload: inner6.subarray(0, 48) }));
    expect(ptb.batch.quoteProto[0]).toBe(6);
    expect([ptb.batch.quoteSport[0], ptb.batch.quoteDport[0]]).toEqual([50000, 443]);
  });
});
