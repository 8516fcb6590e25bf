/**
 * The lab's flow logs against the kernel's own records of the same traffic: the pcap of the server's eth0, the
 * NFLOG capture of every packet the server's iptables dropped, and the NAT gateway's eth0 (captures/flowlogs/,
 * made by scripts/record-flowlogs.sh). The pcaps are parsed here with a few lines of their own, not by the project.
 *
 * Expected differences, by the format: flow logs count IP bytes (no Ethernet header, no Ethernet padding of short
 * frames); ARP and ICMPv6 ND/MLD are not flow-logged; egress packets the server dropped never reached eth0 and are
 * only in the NFLOG capture.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { foldAll, readAll, addr } from './helpers.js';
import { Action } from '../../src/flowlogs/fields.js';
import type { FlowLogConnections } from '../../src/flowlogs/connections.js';

const dir = new URL('../../captures/flowlogs/', import.meta.url);
const path = (p: string): string => new URL(p, dir).pathname;
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as { interfaces: { id: string; name: string; mac?: string; addrs?: string[] }[]; aggregation_interval_s: number };
const INTERVAL = manifest.aggregation_interval_s;
const SERVER = manifest.interfaces.find((i) => i.name === 'server')!;
const NATGW = manifest.interfaces.find((i) => i.name === 'natgw')!;

interface Pkt {
  ts: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: number;
  ipBytes: number;
  flags: number;
}

function pcapRecords(file: string): { linktype: number; recs: { ts: number; data: Buffer }[] } {
  const b = readFileSync(path(file));
  expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
  const recs: { ts: number; data: Buffer }[] = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const incl = b.readUInt32LE(o + 8);
    recs.push({ ts: b.readUInt32LE(o) + b.readUInt32LE(o + 4) / 1e6, data: b.subarray(o + 16, o + 16 + incl) });
    o += 16 + incl;
  }
  return { linktype: b.readUInt32LE(20), recs };
}

function v6(b: Buffer, o: number): string {
  const g: string[] = [];
  for (let k = 0; k < 8; k++) g.push(b.readUInt16BE(o + 2 * k).toString(16));
  return g.join(':');
}

/** The IP facts a flow log records; null for what it does not log (non-IP, ICMPv6 ND/MLD). */
function ipPacket(ts: number, ip: Buffer): Pkt | null {
  const v = ip[0]! >> 4;
  let src: string, dst: string, proto: number, l4: number, ipBytes: number;
  if (v === 4) {
    src = [...ip.subarray(12, 16)].join('.');
    dst = [...ip.subarray(16, 20)].join('.');
    proto = ip[9]!;
    l4 = (ip[0]! & 15) * 4;
    ipBytes = ip.readUInt16BE(2);
  } else if (v === 6) {
    src = v6(ip, 8);
    dst = v6(ip, 24);
    proto = ip[6]!;
    l4 = 40;
    ipBytes = 40 + ip.readUInt16BE(4);
    if (proto === 58 && [130, 131, 132, 133, 134, 135, 136, 137, 143].includes(ip[40]!)) return null;
  } else return null;
  const ports = proto === 6 || proto === 17;
  return { ts, src, dst, proto, sport: ports ? ip.readUInt16BE(l4) : 0, dport: ports ? ip.readUInt16BE(l4 + 2) : 0, ipBytes, flags: proto === 6 ? ip[l4 + 13]! : 0 };
}

/** Packets of an ENI's eth0 capture, with their direction (by the ENI's MAC). */
function eniPackets(file: string, mac: string): { dir: 'ingress' | 'egress'; p: Pkt; ip: Buffer }[] {
  const m = Buffer.from(mac.replaceAll(':', ''), 'hex');
  const { linktype, recs } = pcapRecords(file);
  expect(linktype).toBe(1);
  const out: { dir: 'ingress' | 'egress'; p: Pkt; ip: Buffer }[] = [];
  for (const { ts, data } of recs) {
    const et = data.readUInt16BE(12);
    if (et !== 0x0800 && et !== 0x86dd) continue;
    const ip = data.subarray(14);
    const p = ipPacket(ts, ip);
    if (!p) continue;
    if (data.subarray(0, 6).equals(m)) out.push({ dir: 'ingress', p, ip });
    else if (data.subarray(6, 12).equals(m)) out.push({ dir: 'egress', p, ip });
  }
  return out;
}

/**
 * NFLOG records (linktype 239): TLVs in host order, value padded to 4; prefix (type 10), payload (type 9). The
 * timestamps of INPUT drops in this capture lag (each is the previous packet's time), so the drop's time is taken
 * from the eth0 capture, where the same IP bytes arrived; OUTPUT drops never reached eth0 and keep NFLOG's time.
 */
function nflogDrops(file: string): { prefix: string; p: Pkt; ip: Buffer }[] {
  const { linktype, recs } = pcapRecords(file);
  expect(linktype).toBe(239);
  const out: { prefix: string; p: Pkt; ip: Buffer }[] = [];
  for (const { ts, data } of recs) {
    let prefix = '';
    let payload: Buffer | null = null;
    for (let o = 4; o + 4 <= data.length; ) {
      const len = data.readUInt16LE(o);
      const type = data.readUInt16LE(o + 2) & 0x7fff;
      if (len < 4) break;
      if (type === 10) prefix = data.subarray(o + 4, o + len).toString('latin1').replace(/\0+$/, '');
      if (type === 9) payload = data.subarray(o + 4, o + len);
      o += (len + 3) & ~3;
    }
    const p = payload && ipPacket(ts, payload);
    if (p) out.push({ prefix, p, ip: payload! });
  }
  return out;
}

/** Give each ingress drop the time its bytes arrived on eth0 (each eth0 packet used once, in order). */
function timeIngressDrops(drops: { prefix: string; p: Pkt; ip: Buffer }[], eth0: { dir: string; p: Pkt; ip: Buffer }[]): void {
  const used = new Set<number>();
  for (const d of drops) {
    if (!d.prefix.startsWith('ingress-')) continue;
    const k = eth0.findIndex((e, n) => !used.has(n) && e.dir === 'ingress' && e.ip.subarray(0, 48).equals(d.ip.subarray(0, 48)));
    expect(k, 'an ingress drop that never arrived on eth0').toBeGreaterThanOrEqual(0);
    used.add(k);
    d.p.ts = eth0[k]!.p.ts;
  }
}

const tupleKey = (src: string, sport: number, dst: string, dport: number, proto: number): string => `${proto} ${src}:${sport} > ${dst}:${dport}`;
/** Canonical text of an address as our helper prints it (IPv6 uncompressed hex groups). */
const norm = (a: string): string => a;

/** Per directed 5-tuple of one interface: packets and IP bytes in the folded connections. */
function foldedTotals(t: FlowLogConnections, ifaceId: number): Map<string, { packets: number; bytes: number }> {
  const out = new Map<string, { packets: number; bytes: number }>();
  for (let c = 0; c < t.count; c++) {
    if (t.iface[c] !== ifaceId) continue;
    const k = 4 * c;
    const fam = t.keys[k + 3]! & 0x10000 ? 6 : 4;
    const lo = fam === 4 ? addr(Uint32Array.of(t.keys[k]!), 0, 4) : addr(t.addrs6.keys, t.keys[k]!, 6);
    const hi = fam === 4 ? addr(Uint32Array.of(t.keys[k + 1]!), 0, 4) : addr(t.addrs6.keys, t.keys[k + 1]!, 6);
    const pLo = t.keys[k + 2]! >>> 16;
    const pHi = t.keys[k + 2]! & 0xffff;
    const proto = t.keys[k + 3]! & 0xff;
    for (const d of [0, 1]) {
      if (t.records[2 * c + d] === 0) continue;
      const key = d === 0 ? tupleKey(lo, pLo, hi, pHi, proto) : tupleKey(hi, pHi, lo, pLo, proto);
      const cur = out.get(key) ?? { packets: 0, bytes: 0 };
      cur.packets += t.packetsOf(c, d);
      cur.bytes += t.bytesOf(c, d);
      out.set(key, cur);
    }
  }
  return out;
}

function add(m: Map<string, { packets: number; bytes: number }>, k: string, bytes: number): void {
  const cur = m.get(k) ?? { packets: 0, bytes: 0 };
  cur.packets++;
  cur.bytes += bytes;
  m.set(k, cur);
}

const sorted = (m: Map<string, unknown>) => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));

describe('lab flow logs vs the kernel (captures/flowlogs)', () => {
  const server = eniPackets('server.pcap', SERVER.mac!);
  const drops = nflogDrops('server-drops.pcap');
  timeIngressDrops(drops, server);
  const natgw = eniPackets('natgw.pcap', NATGW.mac!);

  it('the captures hold what the lab is about', () => {
    expect(server.length).toBeGreaterThan(100);
    expect(drops.filter((d) => d.prefix === 'egress-deny-dport-lt-32768').length).toBeGreaterThan(5);
    expect(drops.filter((d) => d.prefix === 'ingress-deny-tcp-8080').length).toBeGreaterThan(0);
    expect(natgw.length).toBeGreaterThan(20);
  });

  for (const format of ['v2/lab.log', 'v5/lab.log', 's3', 'parquet/lab.log.parquet']) {
    it(`${format}: the server ENI's connections have the pcap's 5-tuples and per-direction packets and IP bytes`, async () => {
      const { table, reader } = await foldAll([path(format)], INTERVAL);
      expect(reader.problems.total()).toBe(0);
      const iface = reader.interfaces.all().indexOf(SERVER.id);
      const expected = new Map<string, { packets: number; bytes: number }>();
      // every packet that crossed eth0, plus the egress packets dropped before it (NFLOG, hook OUTPUT)
      for (const { p } of server) add(expected, tupleKey(norm(p.src), p.sport, norm(p.dst), p.dport, p.proto), p.ipBytes);
      for (const { prefix, p } of drops) if (prefix.startsWith('egress-')) add(expected, tupleKey(p.src, p.sport, p.dst, p.dport, p.proto), p.ipBytes);
      expect(sorted(foldedTotals(table, iface))).toEqual(sorted(expected));
    });
  }

  it('every REJECT record is NFLOG drops of its 5-tuple in its time range, and every drop is in a REJECT record', async () => {
    const { rows } = await readAll([path('v5/lab.log')]);
    const rejects = rows.filter((r) => r.action === Action.REJECT);
    expect(rejects.length).toBeGreaterThan(5);
    const dropped = new Map<string, number>();
    for (const { p } of drops) dropped.set(tupleKey(p.src, p.sport, p.dst, p.dport, p.proto), (dropped.get(tupleKey(p.src, p.sport, p.dst, p.dport, p.proto)) ?? 0) + 1);
    let covered = 0;
    for (const r of rejects) {
      expect(r.iface).toBe(SERVER.id);
      const key = tupleKey(r.src, r.srcPort, r.dst, r.dstPort, r.proto);
      const inRange = drops.filter((d) => tupleKey(d.p.src, d.p.sport, d.p.dst, d.p.dport, d.p.proto) === key && d.p.ts >= r.start && d.p.ts <= r.end);
      expect(inRange.length, key).toBe(r.packets);
      expect(inRange.reduce((s, d) => s + d.p.ipBytes, 0)).toBe(r.bytes);
      // the rule that dropped them, by its NFLOG prefix, matches what the record is
      const rule = r.flowDirection === 2 ? 'egress-deny-dport-lt-32768' : 'ingress-deny-tcp-8080';
      expect(new Set(inRange.map((d) => d.prefix))).toEqual(new Set([rule]));
      if (rule.startsWith('egress')) expect(r.dstPort).toBeLessThan(32768);
      else expect(r.dstPort).toBe(8080);
      covered += r.packets;
    }
    expect(covered).toBe(drops.length);
    // and no ACCEPT record carries a packet the kernel dropped
    const accepted = rows.filter((r) => r.action === Action.ACCEPT && r.iface === SERVER.id);
    for (const r of accepted) {
      const key = tupleKey(r.src, r.srcPort, r.dst, r.dstPort, r.proto);
      const d = drops.filter((x) => tupleKey(x.p.src, x.p.sport, x.p.dst, x.p.dport, x.p.proto) === key && x.p.ts >= r.start && x.p.ts < r.end);
      expect(d.length, key).toBe(0);
    }
  });

  it('tcp-flags: SYN from the client side and SYN-ACK from the server side, as the pcap shows them', async () => {
    const { table, reader } = await foldAll([path('v5/lab.log')], INTERVAL);
    const iface = reader.interfaces.all().indexOf(SERVER.id);
    // every connection whose pcap has a bare SYN from A: evidence says A's direction sent the SYN
    const synFrom = new Map<string, string>();
    for (const { p } of server) if (p.proto === 6 && (p.flags & 0x12) === 0x02) synFrom.set(`${p.src}:${p.sport}`, `${p.dst}:${p.dport}`);
    let checked = 0;
    for (let c = 0; c < table.count; c++) {
      if (table.iface[c] !== iface || (table.keys[4 * c + 3]! & 0xff) !== 6 || table.keys[4 * c + 3]! & 0x10000) continue;
      const k = 4 * c;
      const lo = `${addr(Uint32Array.of(table.keys[k]!), 0, 4)}:${table.keys[k + 2]! >>> 16}`;
      const hi = `${addr(Uint32Array.of(table.keys[k + 1]!), 0, 4)}:${table.keys[k + 2]! & 0xffff}`;
      const bits = table.bits[c]!;
      const synDir = bits & 0x20 ? (bits & 0x40 ? 1 : 0) : -1;
      if (synFrom.get(lo) === hi) expect(synDir, lo).toBe(0);
      else if (synFrom.get(hi) === lo) expect(synDir, hi).toBe(1);
      else continue;
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('the long-lived flows: one UDP 5-tuple reused after a silence longer than the interval is two connections, a TCP connection over several intervals one', async () => {
    const { table, reader } = await foldAll([path('v5/lab.log')], INTERVAL);
    const iface = reader.interfaces.all().indexOf(SERVER.id);
    const withPort = (port: number, proto: number): number[] => {
      const out: number[] = [];
      for (let c = 0; c < table.count; c++) {
        const w2 = table.keys[4 * c + 2]!;
        if (table.iface[c] === iface && (table.keys[4 * c + 3]! & 0xff) === proto && ((w2 >>> 16) === port || (w2 & 0xffff) === port)) out.push(c);
      }
      return out;
    };
    const dns = withPort(45000, 17);
    expect(dns).toHaveLength(2);
    // the pcap: queries from port 45000 at 0, 4, 8, 12 s and at 40 s
    const q = server.filter(({ p }) => p.sport === 45000 && p.proto === 17).map(({ p }) => p.ts);
    expect(q).toHaveLength(5);
    expect(dns.map((c) => table.packetsOf(c, 0) + table.packetsOf(c, 1))).toEqual([8, 2]);
    const echo = withPort(7, 6);
    expect(echo).toHaveLength(1);
    const c = echo[0]!;
    expect(table.records[2 * c]! + table.records[2 * c + 1]!).toBeGreaterThanOrEqual(4);
    expect(table.lastTsOf(c, 0) - table.firstTsOf(c, 0)).toBeGreaterThan(INTERVAL);
    expect(table.bits[c]! & 0xa0).toBe(0xa0); // SYN_SEEN | SYNACK_SEEN
    expect((table.flagsOf(c, 0) | table.flagsOf(c, 1)) & 0x01).toBe(0x01); // FIN
  });

  it('the NAT gateway ENI: pkt-srcaddr / pkt-dstaddr of the behind-NAT connections are the addresses in the gateway pcap', async () => {
    const { table, reader } = await foldAll([path('v5/lab.log')], INTERVAL);
    const iface = reader.interfaces.all().indexOf(NATGW.id);
    const natIp = NATGW.addrs![0]!;
    // in the pcap: client 10.1.3.11 -> server arrives at the gateway; server -> client leaves it
    const fromClient = natgw.filter(({ dir, p }) => dir === 'ingress' && p.src === '10.1.3.11');
    expect(fromClient.length).toBeGreaterThan(5);
    let seen = 0;
    for (let c = 0; c < table.count; c++) {
      if (table.iface[c] !== iface) continue;
      const k = 4 * c;
      const lo = addr(Uint32Array.of(table.keys[k]!), 0, 4);
      const hi = addr(Uint32Array.of(table.keys[k + 1]!), 0, 4);
      if (lo !== '10.1.2.20' || hi !== '10.1.3.11') continue;
      // dir 1 = 10.1.3.11 -> the gateway ENI: its pkt-dstaddr is the server it really went to
      const r = table.pktRow[2 * c + 1]!;
      expect(r).toBeGreaterThanOrEqual(0);
      const port = table.keys[k + 2]! & 0xffff;
      const real = fromClient.find(({ p }) => p.sport === port)!.p.dst;
      expect(addr(table.pktDst, r, 4)).toBe(real);
      expect(real).not.toBe(natIp);
      seen++;
    }
    expect(seen).toBe(new Set(fromClient.map(({ p }) => `${p.sport}/${p.proto}`)).size);
  });
});
