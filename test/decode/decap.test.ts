/**
 * Decapsulation on literal packets: what is opened, what stays the outer packet, what is a counted problem, and the
 * lengths of cut inner packets. Packets are built from RFC layouts with the wire/ emitters and hex.
 */
import { describe, it, expect } from 'vitest';
import { PacketBatch, Layer, Anomaly, Frag } from '../../src/decode/batch.js';
import { PacketParser, MAX_ENCAP_DEPTH } from '../../src/decode/parser.js';
import { TunnelKind } from '../../src/decode/tunnels.js';
import type { DecodeOptionsInput } from '../../src/decode/options.js';
import { Problems, Problem } from '../../src/capture/problems.js';
import { TcpFlag } from '../../src/wire/tcp.js';
import * as ip4 from '../../src/wire/ipv4.js';
import { UsageError } from '../../src/errors.js';
import { ipv4Packet, ipv6Packet, ethernet, hex, cat } from '../helpers/packets.js';

function decode(frame: Uint8Array, opts: DecodeOptionsInput = {}, origlen = frame.length) {
  const batch = new PacketBatch(4);
  const problems = new Problems();
  const parser = new PacketParser(batch, problems, opts);
  parser.decode(frame, 0, frame.length, origlen, 1, 0, 0, 0);
  return {
    batch,
    problems,
    parser,
    row: {
      layer: batch.layer[0],
      anomaly: batch.anomaly[0],
      family: batch.family[0],
      proto: batch.proto[0],
      src: batch.family[0] === 4 ? ip4.formatAddress(batch.src[0]!) : '',
      dst: batch.family[0] === 4 ? ip4.formatAddress(batch.dst[0]!) : '',
      sport: batch.sport[0],
      dport: batch.dport[0],
      flags: batch.tcpFlags[0],
      payloadLen: batch.payloadLen[0],
      wireLen: batch.wireLen[0],
      depth: batch.tunnelDepth[0],
      kind: batch.tunnelDepth[0] ? batch.tunnelKind[0] : 0,
      vni: batch.tunnelDepth[0] ? batch.tunnelVni[0] : -1,
    },
  };
}

/** The inner packet: a TCP segment with 100 bytes of data, as Ethernet. */
const INNER_IP = ipv4Packet('10.1.1.11', '10.1.2.10', { proto: 'tcp', sport: 40000, dport: 443, flags: TcpFlag.ACK | TcpFlag.PSH, payload: new Uint8Array(100) });
const INNER = ethernet(INNER_IP);
const VXLAN_101 = hex('0800 0000 0000 6500');
const udpTo = (dport: number, payload: Uint8Array, sport = 51000) => ethernet(ipv4Packet('192.168.77.10', '192.168.77.2', { proto: 'udp', sport, dport, payload }));
const ipTo = (proto: number, payload: Uint8Array) => ethernet(ipv4Packet('172.16.0.1', '172.16.0.2', { proto, payload }));
const innerRow = { layer: Layer.TRANSPORT, anomaly: Anomaly.NONE, family: 4, proto: 6, src: '10.1.1.11', dst: '10.1.2.10', sport: 40000, dport: 443, payloadLen: 100 };

describe('decap: VXLAN', () => {
  it('opens VXLAN on 4789: the row is the inner packet, with its own length and the session', () => {
    const { row, problems, parser } = decode(udpTo(4789, cat(VXLAN_101, INNER)));
    expect(row).toMatchObject({ ...innerRow, depth: 1, kind: TunnelKind.VXLAN, vni: 101, wireLen: INNER.length });
    expect(problems.total()).toBe(0);
    expect(parser.tunnels.records()).toEqual([
      { kind: 'vxlan', depth: 1, inside: null, outerSrc: '192.168.77.10', outerDst: '192.168.77.2', vni: 101, key: null, session: null, gwlbEndpoint: null, gwlbAttachment: null, packets: 1 },
    ]);
  });

  it('leaves ordinary UDP to 4789 alone: I flag clear, reserved bits set, a short datagram', () => {
    for (const h of ['0000 0000 0000 6500', '0800 0001 0000 6500', '0800 0000 0000 6501', '4865 6c6c 6f21 0a00']) {
      const { row, problems } = decode(udpTo(4789, cat(hex(h), INNER)));
      expect(row, h).toMatchObject({ family: 4, proto: 17, src: '192.168.77.10', dport: 4789, depth: 0, layer: Layer.TRANSPORT });
      expect(problems.total()).toBe(0);
    }
    expect(decode(udpTo(4789, hex('0800 00'))).row).toMatchObject({ proto: 17, depth: 0 });
  });

  it('opens extra --vxlan-port ports only when asked, and nothing with decap none', () => {
    expect(decode(udpTo(8472, cat(VXLAN_101, INNER))).row).toMatchObject({ proto: 17, depth: 0 });
    expect(decode(udpTo(8472, cat(VXLAN_101, INNER)), { vxlanPorts: [8472] }).row).toMatchObject({ ...innerRow, depth: 1 });
    expect(decode(udpTo(4789, cat(VXLAN_101, INNER)), { decap: 'none' }).row).toMatchObject({ proto: 17, dport: 4789, depth: 0 });
    expect(() => new PacketParser(new PacketBatch(1), new Problems(), { vxlanPorts: [70000] })).toThrow(UsageError);
  });

  it('a datagram to 4789 from port 4789 but to another port is not VXLAN (the destination port decides)', () => {
    expect(decode(udpTo(9999, cat(VXLAN_101, INNER), 4789)).row).toMatchObject({ proto: 17, depth: 0 });
  });

  it('does not open an outer first fragment (the inner packet is not all there)', () => {
    const frag = ethernet(ipv4Packet('192.168.77.10', '192.168.77.2', { proto: 'udp', sport: 1, dport: 4789, payload: cat(VXLAN_101, INNER) }, { moreFragments: true, dontFragment: false }));
    expect(decode(frag).row).toMatchObject({ proto: 17, depth: 0 });
  });
});

describe('decap: mirror truncation (PacketLength, MTU)', () => {
  /** The VXLAN datagram a mirror session with PacketLength `n` sends: the inner frame cut, outer lengths of the cut. */
  const cutMirror = (n: number) => udpTo(4789, cat(VXLAN_101, INNER.subarray(0, n)));

  it('a cut payload is not malformed: lengths from the inner IP header, ports read', () => {
    const { row, problems, batch } = decode(cutMirror(96));
    expect(row).toMatchObject({ ...innerRow, depth: 1, wireLen: INNER.length });
    expect(batch.tcpSeq[0]).toBe(1000);
    expect(problems.total()).toBe(0);
  });

  it('a cut inside the TCP header is a counted problem, and the packet is still a row of its IP packet', () => {
    const { row, problems } = decode(cutMirror(14 + 20 + 12));
    expect(row).toMatchObject({ family: 4, proto: 6, layer: Layer.NETWORK, anomaly: Anomaly.TRUNCATED, depth: 1, wireLen: INNER.length, sport: 0 });
    expect(problems.counts[Problem['truncated-packet']]).toBe(1);
    expect(problems.details[0]!.message).toMatch(/TCP header cut off .*mirror session/);
  });

  it('a cut inside the inner IPv4 header leaves no IP packet, counted', () => {
    const { row, problems } = decode(cutMirror(14 + 12));
    expect(row).toMatchObject({ family: 0, anomaly: Anomaly.TRUNCATED, depth: 1 });
    expect(problems.counts[Problem['truncated-packet']]).toBe(1);
  });

  it('outside a tunnel an IP length beyond the frame stays malformed', () => {
    const p = INNER.slice(0, 80);
    expect(decode(p).problems.counts[Problem['bad-ip-header']]).toBe(1);
  });

  it('IPv6 inner packets are cut the same way', () => {
    const v6 = ethernet(ipv6Packet('fd01:1::11', 'fd01:2::10', { proto: 'udp', sport: 5000, dport: 7, payload: new Uint8Array(300) }));
    const { row, problems, batch } = decode(udpTo(4789, cat(VXLAN_101, v6.subarray(0, 96))));
    expect(row).toMatchObject({ family: 6, proto: 17, sport: 5000, dport: 7, payloadLen: 300, wireLen: v6.length, depth: 1 });
    expect(batch.ipId[0]).toBe(0);
    expect(problems.total()).toBe(0);
  });
});

describe('decap: GENEVE', () => {
  const geneveHeader = (proto: number, options: Uint8Array, vni = 0) => {
    const h = new Uint8Array(8);
    h[0] = options.length / 4;
    h[2] = proto >> 8;
    h[3] = proto & 0xff;
    h[4] = (vni >>> 16) & 0xff;
    h[5] = (vni >>> 8) & 0xff;
    h[6] = vni & 0xff;
    return cat(h, options);
  };
  const AWS = hex('0108 0102 0123 4567 89ab cdef  0108 0202 0000 0a0b 0c0d 0e0f  0108 0301 dead beef');

  it('GWLB: IP payload, AWS options read into the tunnel row and the batch', () => {
    const { row, parser, batch, problems } = decode(udpTo(6081, cat(geneveHeader(0x0800, AWS), INNER_IP)));
    expect(row).toMatchObject({ ...innerRow, depth: 1, kind: TunnelKind.GENEVE, vni: 0, wireLen: INNER_IP.length });
    expect(batch.tunnelEndpoint[0]).toBe(1);
    expect(parser.tunnels.records()[0]).toMatchObject({ kind: 'geneve', gwlbEndpoint: '0123456789abcdef', gwlbAttachment: '00000a0b0c0d0e0f', vni: 0 });
    expect(problems.total()).toBe(0);
  });

  it('Ethernet payload (0x6558), unknown options skipped by length', () => {
    const opt = hex('0000 8001 0000 000c');
    const { row } = decode(udpTo(6081, cat(geneveHeader(0x6558, opt, 10), INNER)));
    expect(row).toMatchObject({ ...innerRow, depth: 1, vni: 10 });
  });

  it('a bad option length is counted, and the payload is still opened where the options length says', () => {
    const bad = hex('0000 8003 0000 000c'); // claims 12 bytes of data in a 4-byte option area
    const { row, problems } = decode(udpTo(6081, cat(geneveHeader(0x0800, bad), INNER_IP)));
    // the packet keeps the mark of its malformed header
    expect(row).toMatchObject({ ...innerRow, anomaly: Anomaly.MALFORMED, depth: 1 });
    expect(problems.counts[Problem['bad-tunnel-header']]).toBe(1);
  });

  it('options running past the datagram are counted; version 1 or an unknown protocol type stays UDP', () => {
    const h = geneveHeader(0x0800, new Uint8Array(0));
    h[0] = 63; // 252 bytes of options
    const past = decode(udpTo(6081, cat(h, new Uint8Array(20))));
    expect(past.row).toMatchObject({ proto: 17, depth: 0 });
    expect(past.problems.counts[Problem['bad-tunnel-header']]).toBe(1);
    const v1 = geneveHeader(0x0800, new Uint8Array(0));
    v1[0] = 0x40;
    expect(decode(udpTo(6081, cat(v1, INNER_IP))).row).toMatchObject({ proto: 17, depth: 0 });
    expect(decode(udpTo(6081, cat(geneveHeader(0x8847, new Uint8Array(0)), INNER_IP))).row).toMatchObject({ proto: 17, depth: 0 });
  });

  it('VXLAN inside GENEVE: two levels, the VXLAN session inside', () => {
    const mirror = ipv4Packet('192.168.77.10', '192.168.77.2', { proto: 'udp', sport: 51000, dport: 4789, payload: cat(VXLAN_101, INNER) });
    const { row, parser } = decode(udpTo(6081, cat(geneveHeader(0x0800, AWS), mirror)));
    expect(row).toMatchObject({ ...innerRow, depth: 2, kind: TunnelKind.GENEVE, wireLen: INNER.length });
    expect(parser.tunnels.records().map((t) => [t.kind, t.depth, t.inside, t.vni])).toEqual([
      ['geneve', 1, null, 0],
      ['vxlan', 2, 0, 101],
    ]);
  });
});

describe('decap: GRE, ERSPAN, IP-in-IP', () => {
  it('GRE with checksum, key and sequence number, IPv4 payload; the key is the session', () => {
    const { row } = decode(ipTo(47, cat(hex('b000 0800 0000 0000 0000 002a 0000 0001'), INNER_IP)));
    expect(row).toMatchObject({ ...innerRow, depth: 1, kind: TunnelKind.GRE, vni: 42 });
  });

  it('GRE transparent Ethernet bridging and PPP (PPTP version 1)', () => {
    expect(decode(ipTo(47, cat(hex('0000 6558'), INNER))).row).toMatchObject({ ...innerRow, depth: 1, kind: TunnelKind.GRE });
    const pptp = cat(hex('3001 880b 0067 1780 0006 8fb1 ff03 0021'), INNER_IP);
    expect(decode(ipTo(47, pptp)).row).toMatchObject({ ...innerRow, depth: 1, vni: 6016 });
  });

  it('ERSPAN type I, II and III', () => {
    expect(decode(ipTo(47, cat(hex('0000 88be'), INNER))).row).toMatchObject({ ...innerRow, kind: TunnelKind.ERSPAN1 });
    expect(decode(ipTo(47, cat(hex('1000 88be 0000 0001  1064 4123 0000 0007'), INNER))).row).toMatchObject({ ...innerRow, kind: TunnelKind.ERSPAN2, vni: 0x123 });
    const t3 = hex('0000 22eb  200a 0005 7050 7e55 0000 0007  0c00 0003 15f7 42e8');
    expect(decode(ipTo(47, cat(t3, INNER))).row).toMatchObject({ ...innerRow, kind: TunnelKind.ERSPAN3, vni: 5 });
    // an ERSPAN III frame of type IP (2)
    const t3ip = hex('0000 22eb  200a 0005 7050 7e55 0000 0800');
    expect(decode(ipTo(47, cat(t3ip, INNER_IP))).row).toMatchObject({ ...innerRow, kind: TunnelKind.ERSPAN3 });
    // a version that is not the protocol type's
    const wrong = decode(ipTo(47, cat(hex('1000 88be 0000 0001  2064 4123 0000 0007'), INNER)));
    expect(wrong.row).toMatchObject({ proto: 47, depth: 0 });
    expect(wrong.problems.counts[Problem['bad-tunnel-header']]).toBe(1);
  });

  it('GRE headers we do not read are counted; unknown payload types leave the GRE packet', () => {
    for (const h of ['4000 0800', '0002 0800', '0001 880b']) {
      const r = decode(ipTo(47, cat(hex(h), INNER_IP)));
      expect(r.row, h).toMatchObject({ family: 4, proto: 47, depth: 0, anomaly: Anomaly.MALFORMED });
      expect(r.problems.counts[Problem['bad-tunnel-header']]).toBe(1);
    }
    const cdp = decode(ipTo(47, cat(hex('2000 2000 0000 0028'), new Uint8Array(20))));
    expect(cdp.row).toMatchObject({ proto: 47, depth: 0, anomaly: Anomaly.NONE });
    expect(cdp.problems.total()).toBe(0);
  });

  it('IPv4 in IPv4, IPv6 in IPv4, IPv4 in IPv6', () => {
    expect(decode(ipTo(4, INNER_IP)).row).toMatchObject({ ...innerRow, depth: 1, kind: TunnelKind.IPV4_IN_IP, wireLen: INNER_IP.length });
    const v6 = ipv6Packet('fd01:1::11', 'fd01:2::10', { proto: 'tcp', sport: 1, dport: 80, flags: TcpFlag.SYN });
    expect(decode(ipTo(41, v6)).row).toMatchObject({ family: 6, proto: 6, dport: 80, depth: 1, kind: TunnelKind.IPV6_IN_IP });
    const outer6 = ethernet(ipv6Packet('2001:db8::1', '2001:db8::2', { proto: 4, payload: INNER_IP }));
    expect(decode(outer6).row).toMatchObject({ ...innerRow, depth: 1, kind: TunnelKind.IPV4_IN_IP });
  });

  it(`nesting: ${MAX_ENCAP_DEPTH} levels open; one more is too-many-encapsulations and the row is the tunnel packet reached`, () => {
    const nest = (n: number) => {
      let p = INNER_IP;
      for (let k = 0; k < n; k++) p = ipv4Packet(`172.16.${k}.1`, `172.16.${k}.2`, { proto: 4, payload: p });
      return ethernet(p);
    };
    const ok = decode(nest(MAX_ENCAP_DEPTH));
    expect(ok.row).toMatchObject({ ...innerRow, depth: MAX_ENCAP_DEPTH });
    expect(ok.problems.total()).toBe(0);
    expect(ok.parser.tunnels.count).toBe(MAX_ENCAP_DEPTH);
    const deep = decode(nest(MAX_ENCAP_DEPTH + 1));
    expect(deep.row).toMatchObject({ family: 4, proto: 4, depth: MAX_ENCAP_DEPTH, anomaly: Anomaly.MALFORMED });
    expect(deep.problems.counts[Problem['too-many-encapsulations']]).toBe(1);
    expect(decode(nest(3), { decap: 'none' }).row).toMatchObject({ proto: 4, depth: 0 });
  });

  it('inner fragments stay fragments', () => {
    const frag = ipv4Packet('10.1.1.11', '10.1.2.10', { proto: 'udp', sport: 1, dport: 2, payload: new Uint8Array(40) }, { moreFragments: true, dontFragment: false });
    expect(decode(ipTo(4, frag)).batch.frag[0]).toBe(Frag.FIRST);
  });
});

describe('decap: warm-up mode', () => {
  it('counts no problems and no tunnel packets, but fills the session key', () => {
    const batch = new PacketBatch(2);
    const problems = new Problems();
    const parser = new PacketParser(batch, problems);
    const cut = udpTo(4789, cat(VXLAN_101, INNER.subarray(0, 40)));
    parser.setWarmup(true);
    parser.decode(cut, 0, cut.length, cut.length, 1, 0, 0, 0);
    expect(problems.total()).toBe(0);
    expect(parser.tunnels.count).toBe(0);
    expect(batch.tunnelId[0]).toBe(-1);
    const key = batch.sessionKey[0];
    parser.setWarmup(false);
    parser.decode(cut, 0, cut.length, cut.length, 1, 0, 0, 1);
    expect(problems.total()).toBe(1);
    expect(batch.sessionKey[1]).toBe(key);
    expect(key).not.toBe(0);
  });
});
