/** Builds literal packets from header Reprs with the wire/ emitters, for tests. */
import * as eth from '../../src/wire/ethernet.js';
import * as ip4 from '../../src/wire/ipv4.js';
import * as ip6 from '../../src/wire/ipv6.js';
import * as tcp from '../../src/wire/tcp.js';
import * as udp from '../../src/wire/udp.js';
import * as icmp from '../../src/wire/icmp.js';

export const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
export const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];

export interface L4 {
  proto: 'tcp' | 'udp' | 'icmp' | 'icmp6' | number;
  sport?: number;
  dport?: number;
  flags?: number;
  seq?: number;
  ack?: number;
  window?: number;
  options?: number[];
  icmpType?: number;
  icmpCode?: number;
  ident?: number;
  payload?: Uint8Array;
}

function transport(l4: L4): { proto: number; bytes: Uint8Array } {
  const payload = l4.payload ?? new Uint8Array(0);
  if (l4.proto === 'tcp') {
    const opts = l4.options ?? [];
    const hl = 20 + ((opts.length + 3) & ~3);
    const b = new Uint8Array(hl + payload.length);
    tcp.emit({ srcPort: l4.sport ?? 0, dstPort: l4.dport ?? 0, seq: l4.seq ?? 1000, ack: l4.ack ?? 0, headerLen: hl, flags: l4.flags ?? tcp.TcpFlag.SYN, window: l4.window ?? 64240, urgent: 0, options: opts }, b, 0);
    b.set(payload, hl);
    return { proto: 6, bytes: b };
  }
  if (l4.proto === 'udp') {
    const b = new Uint8Array(8 + payload.length);
    udp.emit({ srcPort: l4.sport ?? 0, dstPort: l4.dport ?? 0, length: 8 + payload.length }, b, 0);
    b.set(payload, 8);
    return { proto: 17, bytes: b };
  }
  if (l4.proto === 'icmp' || l4.proto === 'icmp6') {
    const b = new Uint8Array(8 + payload.length);
    icmp.emit({ type: l4.icmpType ?? 8, code: l4.icmpCode ?? 0, ident: l4.ident ?? 0, sequence: 1 }, b, 0);
    b.set(payload, 8);
    return { proto: l4.proto === 'icmp' ? 1 : 58, bytes: b };
  }
  return { proto: l4.proto, bytes: payload };
}

/** An IPv4 datagram (no link header). */
export function ipv4Packet(src: string, dst: string, l4: L4, extra: Partial<ip4.Ipv4Repr> = {}): Uint8Array {
  const t = transport(l4);
  const opts = extra.options ?? [];
  const hl = 20 + ((opts.length + 3) & ~3);
  const b = new Uint8Array(hl + t.bytes.length);
  ip4.emit(
    {
      headerLen: hl,
      dscpEcn: 0,
      totalLen: hl + t.bytes.length,
      ident: 0x1234,
      dontFragment: true,
      moreFragments: false,
      fragOffset: 0,
      ttl: 64,
      protocol: t.proto,
      src: ip4.parseAddress(src),
      dst: ip4.parseAddress(dst),
      ...extra,
    },
    b,
    0,
  );
  b.set(t.bytes, hl);
  return b;
}

/** An IPv6 packet (no link header, no extension headers unless `ext` is given: [type, bytes][]). */
export function ipv6Packet(src: string, dst: string, l4: L4, ext: [number, Uint8Array][] = [], hopLimit = 64): Uint8Array {
  const t = transport(l4);
  const extLen = ext.reduce((n, [, e]) => n + e.length, 0);
  const b = new Uint8Array(40 + extLen + t.bytes.length);
  const first = ext.length ? ext[0]![0] : t.proto;
  ip6.emit(
    { trafficClass: 0, flowLabel: 0, payloadLen: extLen + t.bytes.length, nextHeader: first, hopLimit, src: ip6.parseAddress(src)!, dst: ip6.parseAddress(dst)!, extensions: [], upperProtocol: t.proto, upperOffset: 40 },
    b,
    0,
  );
  let o = 40;
  ext.forEach(([, e], k) => {
    const copy = e.slice();
    copy[0] = k + 1 < ext.length ? ext[k + 1]![0] : t.proto;
    b.set(copy, o);
    o += e.length;
  });
  b.set(t.bytes, o);
  return b;
}

/** Wrap an IP packet in Ethernet, with optional VLAN tags (outer first). */
export function ethernet(ipPacket: Uint8Array, vlans: { tpid: number; vid: number }[] = []): Uint8Array {
  const version = ipPacket[0]! >>> 4;
  const b = new Uint8Array(14 + 4 * vlans.length + ipPacket.length);
  eth.emit({ destination: MAC_B, source: MAC_A, etherType: vlans.length ? vlans[0]!.tpid : version === 6 ? 0x86dd : 0x0800 }, b, 0);
  vlans.forEach((v, k) => {
    const o = 14 + 4 * k;
    b[o] = (v.vid >> 8) & 0x0f;
    b[o + 1] = v.vid & 0xff;
    const next = k + 1 < vlans.length ? vlans[k + 1]!.tpid : version === 6 ? 0x86dd : 0x0800;
    b[o + 2] = next >> 8;
    b[o + 3] = next & 0xff;
  });
  b.set(ipPacket, 14 + 4 * vlans.length);
  return b;
}

/** The parts, one after another. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Hex string (spaces and newlines ignored) to bytes. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-fA-F]/g, '');
  const b = new Uint8Array(clean.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return b;
}
