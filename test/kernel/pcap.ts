/**
 * A small classic-pcap reader for the lab's own captures (tcpdump -w): Ethernet (link type 1) and NFLOG (239)
 * records down to the IPv4/IPv6 TCP/UDP/ICMP header fields the lab matches on. Independent of src/capture on
 * purpose: the lab checks aclreplay, so it does not read packets through aclreplay.
 * NFLOG: https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html (TLVs in host byte order, NFULA_PREFIX = 10,
 * NFULA_PAYLOAD = 9).
 */
import { readFileSync } from 'node:fs';

/** One IP packet of a capture. */
export interface LabPacket {
  ts: number;
  family: 4 | 6;
  src: string;
  dst: string;
  proto: number;
  /** TCP/UDP ports; -1 otherwise. */
  sport: number;
  dport: number;
  /** TCP flags byte (SYN 0x02, ACK 0x10, RST 0x04, FIN 0x01); 0 otherwise. */
  tcpFlags: number;
  /** TCP sequence number; 0 otherwise. */
  seq: number;
  icmpType: number;
  /** L4 payload length (TCP after options, UDP after its header). */
  payloadLength: number;
  /** NFLOG records: the rule prefix (e.g. nacl:egress:100); null for other link types. */
  prefix: string | null;
}

function ipv4Text(b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** RFC 5952 text of 16 bytes (lowercase, longest run of two or more zero groups as ::). */
export function ipv6Text(b: Buffer, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(o + 2 * i));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

function decodeIp(b: Buffer, o: number, end: number, ts: number, prefix: string | null): LabPacket | null {
  if (o >= end) return null;
  const v = b[o]! >> 4;
  let family: 4 | 6;
  let src: string;
  let dst: string;
  let proto: number;
  let l4: number;
  let l4End: number;
  if (v === 4 && o + 20 <= end) {
    const ihl = (b[o]! & 15) * 4;
    family = 4;
    src = ipv4Text(b, o + 12);
    dst = ipv4Text(b, o + 16);
    proto = b[o + 9]!;
    if ((b.readUInt16BE(o + 6) & 0x1fff) !== 0) return { ts, family, src, dst, proto, sport: -1, dport: -1, tcpFlags: 0, seq: 0, icmpType: -1, payloadLength: 0, prefix };
    l4 = o + ihl;
    l4End = Math.min(end, o + b.readUInt16BE(o + 2));
  } else if (v === 6 && o + 40 <= end) {
    family = 6;
    src = ipv6Text(b, o + 8);
    dst = ipv6Text(b, o + 24);
    proto = b[o + 6]!;
    l4 = o + 40;
    l4End = Math.min(end, l4 + b.readUInt16BE(o + 4));
    // hop-by-hop, routing, destination options (MLD carries hop-by-hop)
    while ((proto === 0 || proto === 43 || proto === 60) && l4 + 8 <= l4End) {
      proto = b[l4]!;
      l4 += (b[l4 + 1]! + 1) * 8;
    }
  } else return null;
  const p: LabPacket = { ts, family, src, dst, proto, sport: -1, dport: -1, tcpFlags: 0, seq: 0, icmpType: -1, payloadLength: 0, prefix };
  if ((proto === 6 && l4 + 20 <= l4End) || (proto === 17 && l4 + 8 <= l4End)) {
    p.sport = b.readUInt16BE(l4);
    p.dport = b.readUInt16BE(l4 + 2);
    if (proto === 6) {
      p.seq = b.readUInt32BE(l4 + 4);
      p.tcpFlags = b[l4 + 13]!;
      p.payloadLength = l4End - l4 - (b[l4 + 12]! >> 4) * 4;
    } else p.payloadLength = l4End - l4 - 8;
  } else if ((proto === 1 || proto === 58) && l4 < l4End) p.icmpType = b[l4]!;
  return p;
}

/** The IP packets of a classic pcap file (Ethernet or NFLOG); other records are skipped. */
export function readLabPcap(file: string): LabPacket[] {
  const b = readFileSync(file);
  if (b.length < 24) return [];
  const magic = b.readUInt32LE(0);
  let le: boolean;
  let nano = false;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else throw new Error(`${file}: not a classic pcap file`);
  if (magic === 0xa1b23c4d || magic === 0x4d3cb2a1) nano = true;
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const linkType = u32(20) & 0xffff;
  const out: LabPacket[] = [];
  for (let off = 24; off + 16 <= b.length; ) {
    const ts = u32(off) + u32(off + 4) / (nano ? 1e9 : 1e6);
    const incl = u32(off + 8);
    const start = off + 16;
    const end = Math.min(b.length, start + incl);
    off = start + incl;
    if (linkType === 1) {
      if (end - start < 14) continue;
      let et = b.readUInt16BE(start + 12);
      let o = start + 14;
      if (et === 0x8100 && end - start >= 18) {
        et = b.readUInt16BE(start + 16);
        o = start + 18;
      }
      if (et !== 0x0800 && et !== 0x86dd) continue;
      const p = decodeIp(b, o, end, ts, null);
      if (p) out.push(p);
    } else if (linkType === 239) {
      let prefix = '';
      let o = start + 4;
      let payload = -1;
      let payloadEnd = -1;
      while (o + 4 <= end) {
        const len = b.readUInt16LE(o);
        const type = b.readUInt16LE(o + 2) & 0x7fff;
        if (len < 4) break;
        if (type === 10) prefix = b.toString('latin1', o + 4, o + len).replace(/\0+$/, '');
        if (type === 9) {
          payload = o + 4;
          payloadEnd = Math.min(end, o + len);
        }
        o += (len + 3) & ~3;
      }
      if (payload < 0) continue;
      const p = decodeIp(b, payload, payloadEnd, ts, prefix);
      if (p) out.push(p);
    }
  }
  return out;
}
