#!/usr/bin/env node
// reencap-mirror.mjs - the GENEVE and truncated variants of the recorded mirror captures.
//
// Usage: node scripts/reencap-mirror.mjs [captures/mirror]
//
// The recording kernel has no geneve module, so the captures AWS users get from a Gateway Load Balancer (GENEVE to
// UDP 6081, IP payload without Ethernet, AWS options) and from mirroring through one are made here from the recorded
// traffic, byte by byte per RFC 8926 and AWS's GWLB documentation, without any of aclreplay's own code:
//
//   geneve-gwlb.pcap      every IP packet of direct.pcap as a GWLB delivers it to an appliance: outer IPv4 10.99.0.5
//                         (the GWLB) -> 10.99.0.20 (the appliance), UDP to 6081, GENEVE version 0, protocol type
//                         0x0800/0x86DD, VNI 0, options of class 0x0108: type 1 GWLB endpoint id (8 bytes), type 2
//                         attachment id (8 bytes), type 3 flow cookie (4 bytes). Client c3's traffic enters through
//                         a second endpoint. ARP frames are left out (a GWLB carries IP only).
//   vxlan-in-geneve.pcap  every packet of vxlan.pcap (the VXLAN mirror session) delivered through a GWLB endpoint
//                         as above: GENEVE carrying the VXLAN packet's outer IPv4 packet (mirroring through a GWLB).
//   vxlan-truncated.pcap  vxlan.pcap with every mirrored frame cut after 96 bytes, as a mirror session with
//                         PacketLength 96 sends it (the outer IPv4 and UDP lengths and the IPv4 checksum describe
//                         the cut frame; the inner headers keep their original lengths).
//
// Timestamps are those of the recorded packets. The output is deterministic.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'captures', 'mirror'));

/** Records of a classic little- or big-endian pcap: { sec, frac, data }. */
function readPcap(file) {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4 && b.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file}: not a classic pcap`);
  const u32 = (o) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  if (u32(20) !== 1) throw new Error(`${file}: link type ${u32(20)}, want Ethernet`);
  const out = [];
  for (let off = 24; off + 16 <= b.length; ) {
    const incl = u32(off + 8);
    out.push({ sec: u32(off), frac: u32(off + 4), data: b.subarray(off + 16, off + 16 + incl) });
    off += 16 + incl;
  }
  return { nanos: (le ? b.readUInt32LE(0) : b.readUInt32BE(0)) === 0xa1b23c4d, records: out };
}

/** Write records (Ethernet frames) as a little-endian pcap. */
function writePcap(file, nanos, records) {
  const size = 24 + records.reduce((n, r) => n + 16 + r.data.length, 0);
  const b = Buffer.alloc(size);
  b.writeUInt32LE(nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(262144, 16);
  b.writeUInt32LE(1, 20);
  let off = 24;
  for (const r of records) {
    b.writeUInt32LE(r.sec, off);
    b.writeUInt32LE(r.frac, off + 4);
    b.writeUInt32LE(r.data.length, off + 8);
    b.writeUInt32LE(r.data.length, off + 12);
    r.data.copy(b, off + 16);
    off += 16 + r.data.length;
  }
  writeFileSync(file, b);
  return size;
}

/** RFC 1071 checksum of b[off, end). */
function checksum(b, off, end) {
  let s = 0;
  for (let i = off; i + 1 < end; i += 2) s += b.readUInt16BE(i);
  if ((end - off) & 1) s += b[end - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

const ip4 = (s) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);

/** Outer Ethernet + IPv4 + UDP around `payload`; the IPv4 identification counts up per packet. */
let ipId = 0x4000;
function udpOverIpv4(srcMac, dstMac, src, dst, sport, dport, payload) {
  const b = Buffer.alloc(14 + 20 + 8 + payload.length);
  Buffer.from(dstMac).copy(b, 0);
  Buffer.from(srcMac).copy(b, 6);
  b.writeUInt16BE(0x0800, 12);
  b[14] = 0x45;
  b.writeUInt16BE(20 + 8 + payload.length, 16);
  b.writeUInt16BE(ipId++ & 0xffff, 18);
  b.writeUInt16BE(0x4000, 20); // DF
  b[22] = 255;
  b[23] = 17;
  b.writeUInt32BE(src, 26);
  b.writeUInt32BE(dst, 30);
  b.writeUInt16BE(checksum(b, 14, 34), 24);
  b.writeUInt16BE(sport, 34);
  b.writeUInt16BE(dport, 36);
  b.writeUInt16BE(8 + payload.length, 38);
  b.writeUInt16BE(0, 40); // no UDP checksum (RFC 768 allows it over IPv4; RFC 8926 3.3)
  payload.copy(b, 42);
  return b;
}

/** The IP packet's 5-tuple as a symmetric 32-bit hash (both directions of a flow get one cookie, as GWLB does). */
function flowHash(ip) {
  const v = ip[0] >> 4;
  let a;
  let z;
  let proto;
  let l4;
  if (v === 4) {
    a = ip.subarray(12, 16);
    z = ip.subarray(16, 20);
    proto = ip[9];
    l4 = (ip[0] & 15) * 4;
  } else {
    a = ip.subarray(8, 24);
    z = ip.subarray(24, 40);
    proto = ip[6];
    l4 = 40;
  }
  const ports = proto === 6 || proto === 17 ? [ip.readUInt16BE(l4), ip.readUInt16BE(l4 + 2)] : [0, 0];
  const h = (buf, port) => {
    let x = 2166136261;
    for (const c of buf) x = Math.imul(x ^ c, 16777619) >>> 0;
    return Math.imul(x ^ port, 16777619) >>> 0;
  };
  return ((h(a, ports[0]) ^ h(z, ports[1])) + proto) >>> 0;
}

const GWLB_MAC = [0x02, 0xaa, 0x00, 0x99, 0x00, 0x05];
const APPLIANCE_MAC = [0x02, 0xaa, 0x00, 0x99, 0x00, 0x14];
const GWLB = ip4('10.99.0.5');
const APPLIANCE = ip4('10.99.0.20');
/** GWLB endpoint ids (vpce-0123456789abcdef-like, 64 bits) and a Transit Gateway attachment id, as 8 bytes each. */
const ENDPOINT_A = Buffer.from('0123456789abcdef', 'hex');
const ENDPOINT_B = Buffer.from('0fedcba987654321', 'hex');
const ATTACHMENT = Buffer.from('00000a0b0c0d0e0f', 'hex');
const C3 = Buffer.from([10, 1, 1, 13]);

/** A GENEVE header (RFC 8926 3.4) with AWS's three options, then the IP packet. */
function geneveGwlb(ip) {
  const v6 = ip[0] >> 4 === 6;
  const fromC3 = !v6 && (ip.subarray(12, 16).equals(C3) || ip.subarray(16, 20).equals(C3));
  const opt = (type, data) => {
    const o = Buffer.alloc(4 + data.length);
    o.writeUInt16BE(0x0108, 0);
    o[2] = type;
    o[3] = data.length / 4; // R bits 0, length in 4-byte words
    data.copy(o, 4);
    return o;
  };
  const cookie = Buffer.alloc(4);
  cookie.writeUInt32BE(flowHash(ip));
  const options = Buffer.concat([opt(1, fromC3 ? ENDPOINT_B : ENDPOINT_A), opt(2, ATTACHMENT), opt(3, cookie)]);
  const h = Buffer.alloc(8);
  h[0] = options.length / 4; // version 0
  h[1] = 0; // O = 0, C = 0
  h.writeUInt16BE(v6 ? 0x86dd : 0x0800, 2);
  h.writeUInt32BE(0, 4); // VNI 0, reserved 0
  const payload = Buffer.concat([h, options, ip]);
  return udpOverIpv4(GWLB_MAC, APPLIANCE_MAC, GWLB, APPLIANCE, 49152 + (flowHash(ip) % 16384), 6081, payload);
}

/** The IP packet of an Ethernet frame (no VLAN tags in these captures), or null. */
function ipOf(frame) {
  const t = frame.readUInt16BE(12);
  return t === 0x0800 || t === 0x86dd ? frame.subarray(14) : null;
}

const direct = readPcap(join(dir, 'direct.pcap'));
const vxlan = readPcap(join(dir, 'vxlan.pcap'));
const written = [];

// 1. GWLB: IP payloads of the direct capture.
{
  const recs = [];
  for (const r of direct.records) {
    const ip = ipOf(r.data);
    if (ip) recs.push({ sec: r.sec, frac: r.frac, data: geneveGwlb(ip) });
  }
  written.push(['geneve-gwlb.pcap', recs.length, writePcap(join(dir, 'geneve-gwlb.pcap'), direct.nanos, recs)]);
}

// 2. Mirroring through a GWLB: the VXLAN mirror packets' IPv4 packets inside GENEVE.
{
  const recs = vxlan.records.map((r) => ({ sec: r.sec, frac: r.frac, data: geneveGwlb(ipOf(r.data)) }));
  written.push(['vxlan-in-geneve.pcap', recs.length, writePcap(join(dir, 'vxlan-in-geneve.pcap'), vxlan.nanos, recs)]);
}

// 3. PacketLength 96: the mirrored (inner) frame cut after 96 bytes; the outer headers describe the cut packet.
{
  const PACKET_LENGTH = 96;
  const recs = vxlan.records.map((r) => {
    const f = r.data;
    if (f[14] !== 0x45 || f[23] !== 17 || f.readUInt16BE(36) !== 4789) throw new Error('vxlan.pcap: expected Ethernet/IPv4/UDP 4789');
    const inner = f.subarray(50);
    if (inner.length <= PACKET_LENGTH) return { sec: r.sec, frac: r.frac, data: Buffer.from(f) };
    const b = Buffer.from(f.subarray(0, 50 + PACKET_LENGTH));
    b.writeUInt16BE(20 + 8 + 8 + PACKET_LENGTH, 16);
    b.writeUInt16BE(0, 24);
    b.writeUInt16BE(checksum(b, 14, 34), 24);
    b.writeUInt16BE(8 + 8 + PACKET_LENGTH, 38);
    b.writeUInt16BE(0, 40);
    return { sec: r.sec, frac: r.frac, data: b };
  });
  written.push(['vxlan-truncated.pcap', recs.length, writePcap(join(dir, 'vxlan-truncated.pcap'), vxlan.nanos, recs)]);
}

for (const [f, n, size] of written) process.stdout.write(`${join(dir, f)}: ${n} packets, ${size} bytes\n`);
