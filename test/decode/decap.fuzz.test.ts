/**
 * Fuzzing the tunnel decoders: mutated VXLAN, GENEVE, GRE, ERSPAN, PPTP and IP-in-IP packets (built ones and real
 * frames from captures/mirror and the corpus) only ever give rows and counted problems, never an exception; and the
 * wire/ parse() functions, the decoder's test oracles, agree with what the decoder opened.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PacketBatch } from '../../src/decode/batch.js';
import { PacketParser, MAX_ENCAP_DEPTH } from '../../src/decode/parser.js';
import { TunnelKind } from '../../src/decode/tunnels.js';
import { Problems, PROBLEM_KINDS } from '../../src/capture/problems.js';
import * as vxlan from '../../src/wire/vxlan.js';
import * as geneve from '../../src/wire/geneve.js';
import * as gre from '../../src/wire/gre.js';
import * as ip4 from '../../src/wire/ipv4.js';
import * as ip6 from '../../src/wire/ipv6.js';
import * as tcp from '../../src/wire/tcp.js';
import * as udp from '../../src/wire/udp.js';
import { ipv4Packet, ipv6Packet, ethernet, hex, cat } from '../helpers/packets.js';
import { REPO_ROOT, CORPUS_DIR } from '../helpers/corpus.js';

const INNER_IP = ipv4Packet('10.1.1.11', '10.1.2.10', { proto: 'tcp', sport: 40000, dport: 443, flags: tcp.TcpFlag.SYN, options: [2, 4, 5, 0xb4, 4, 2], payload: new Uint8Array(30) });
const INNER = ethernet(INNER_IP);
const INNER6 = ipv6Packet('fd01:1::11', 'fd01:2::10', { proto: 'udp', sport: 5353, dport: 53, payload: new Uint8Array(24) });
const udpTo = (dport: number, payload: Uint8Array) => ethernet(ipv4Packet('192.168.77.10', '192.168.77.2', { proto: 'udp', sport: 51000, dport, payload }));
const ip = (proto: number, payload: Uint8Array) => ethernet(ipv4Packet('172.16.0.1', '172.16.0.2', { proto, payload }));
const AWS = hex('0108 0102 0123 4567 89ab cdef  0108 0202 0000 0a0b 0c0d 0e0f  0108 0301 dead beef');

/** Seeds: one of each encapsulation, nested ones, and real frames. */
function seeds(): Uint8Array[] {
  const s: Uint8Array[] = [
    udpTo(4789, cat(hex('0800 0000 0000 6500'), INNER)),
    udpTo(6081, cat(hex('0500 0800 0000 0000'), AWS, INNER_IP)),
    udpTo(6081, cat(hex('0240 6558 0000 0a00 0000 8001 0000 000c'), INNER)),
    udpTo(6081, cat(hex('0000 86dd 0000 0100'), INNER6)),
    udpTo(6081, cat(hex('0500 0800 0000 0000'), AWS, ipv4Packet('192.168.77.10', '192.168.77.2', { proto: 'udp', sport: 1, dport: 4789, payload: cat(hex('0800 0000 0000 6500'), INNER) }))),
    ip(47, cat(hex('b000 0800 0000 0000 0000 002a 0000 0001'), INNER_IP)),
    ip(47, cat(hex('0000 6558'), INNER)),
    ip(47, cat(hex('3081 880b 0067 1780 0006 8fb1 0008 3a76 ff03 0021'), INNER_IP)),
    ip(47, cat(hex('1000 88be 0000 0001 1064 4123 0000 0007'), INNER)),
    ip(47, cat(hex('0000 22eb 200a 0005 7050 7e55 0000 0007 0c00 0003 15f7 42e8'), INNER)),
    ip(47, cat(hex('2000 8909 0000 0028 0800 0101 0001 0000'), INNER_IP)),
    ip(47, cat(hex('0000 8847 0001 0140'), INNER_IP)),
    ip(4, ipv4Packet('172.16.1.1', '172.16.1.2', { proto: 4, payload: INNER_IP })),
    ip(41, INNER6),
    ethernet(ipv6Packet('2001:db8::1', '2001:db8::2', { proto: 47, payload: cat(hex('0000 86dd'), INNER6) })),
  ];
  // Real frames: our mirror captures and the corpus's tunnel captures.
  const files = ['vxlan.pcap', 'geneve-gwlb.pcap', 'vxlan-in-geneve.pcap', 'vxlan-truncated.pcap'].map((f) => join(REPO_ROOT, 'captures', 'mirror', f));
  for (const f of ['the-tcpdump-group+tcpdump/tests/geneve.pcap', 'the-tcpdump-group+tcpdump/tests/various_gre.pcap', 'zeek+zeek/testing/btest/Traces/tunnels/gre-erspan3-dot1q.pcap', 'arkime+arkime/tests/pcap/6-4-gre-ppp-udp-4-dns.pcap']) files.push(join(CORPUS_DIR, 'pcaps', f));
  for (const f of files) {
    if (!existsSync(f)) continue;
    const b = readFileSync(f);
    let taken = 0;
    for (let off = 24; off + 16 <= b.length && taken < 6; taken++) {
      const incl = b.readUInt32LE(off + 8);
      s.push(new Uint8Array(b.subarray(off + 16, off + 16 + incl)));
      off += 16 + incl * 7; // every few frames (whatever is there)
      if (off + 16 > b.length) break;
    }
  }
  return s;
}

const SEEDS = seeds();
const PACKET_KINDS = new Set(PROBLEM_KINDS.slice(PROBLEM_KINDS.indexOf('truncated-packet')));

const mutation = fc.oneof(
  // flips biased to the tunnel headers (outer Ethernet+IP+UDP ends at 42; GRE starts at 34)
  fc.record({ kind: fc.constant('flip' as const), at: fc.integer({ min: 12, max: 120 }), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('word' as const), at: fc.integer({ min: 12, max: 120 }), value: fc.constantFrom(0, 0xffff, 0x0800, 0x86dd, 0x6558, 0x12b5, 0x17c1, 0x0008, 0x3f00, 0x4000) }),
);
const packetCase = fc.record({
  seed: fc.nat({ max: SEEDS.length - 1 }),
  mutations: fc.array(mutation, { maxLength: 6 }),
  cut: fc.option(fc.nat(), { nil: undefined }),
  decap: fc.constantFrom('auto' as const, 'auto' as const, 'none' as const),
});

describe('fuzz: tunnel decoders', () => {
  it('mutated tunnel packets give rows and counted problems only', () => {
    const batch = new PacketBatch(1);
    const checked = { vxlan: [0, 0], geneve: [0, 0], gre: [0, 0], opened: 0 };
    fc.assert(
      fc.property(packetCase, ({ seed, mutations, cut, decap }) => {
        const b = SEEDS[seed]!.slice();
        for (const m of mutations) {
          if (b.length === 0) break;
          const at = m.at % b.length;
          if (m.kind === 'flip') b[at] = m.value;
          else if (at + 1 < b.length) {
            b[at] = m.value >>> 8;
            b[at + 1] = m.value & 0xff;
          }
        }
        const caplen = cut === undefined ? b.length : cut % (b.length + 1);
        const problems = new Problems();
        const parser = new PacketParser(batch, problems, { decap });
        parser.decode(b, 0, caplen, b.length, 1, 0, 0, 0);
        for (const d of problems.details) expect(PACKET_KINDS.has(d.kind), d.kind).toBe(true);
        const depth = batch.tunnelDepth[0]!;
        expect(depth).toBeLessThanOrEqual(decap === 'none' ? 0 : MAX_ENCAP_DEPTH);
        expect(Number.isFinite(batch.wireLen[0]!)).toBe(true);
        expect([0, 4, 6]).toContain(batch.family[0]);
        if (depth > 0) {
          expect(parser.tunnels.count).toBeGreaterThanOrEqual(1);
          expect(batch.tunnelId[0]).toBeGreaterThanOrEqual(0);
        }
        // The oracles: the outermost header at a tunnel port opened exactly when wire/ parse() accepts it.
        const unfragmented = (((b[20]! << 8) | b[21]!) & 0x3fff) === 0;
        const plainIpv4Udp = caplen >= 42 && b[12] === 0x08 && b[13] === 0 && b[14] === 0x45 && b[23] === 17 && unfragmented;
        if (depth > 0) checked.opened++;
        if (decap === 'auto' && plainIpv4Udp) {
          const tl = (b[16]! << 8) | b[17]!;
          const ulen = (b[38]! << 8) | b[39]!;
          const dport = (b[36]! << 8) | b[37]!;
          const end = Math.min(caplen, 14 + tl, ulen >= 8 && ulen <= tl - 20 ? 34 + ulen : 14 + tl);
          const sane = tl >= 28 && tl <= b.length - 14 && (ulen === 0 || ulen >= 8);
          if (sane && dport === vxlan.UDP_PORT) {
            const opened = depth > 0 && batch.tunnelKind[0] === TunnelKind.VXLAN;
            expect(opened, 'VXLAN oracle').toBe(vxlan.parse(b, 42, end).ok);
            checked.vxlan[opened ? 1 : 0]++;
          }
          if (sane && dport === geneve.UDP_PORT) {
            const r = geneve.parse(b, 42, end);
            const t = end - 42 >= 8 ? geneve.protocolType(b, 42) : -1;
            const known = t === 0x6558 || t === 0x0800 || t === 0x86dd;
            const opened = depth > 0 && batch.tunnelKind[0] === TunnelKind.GENEVE;
            if (r.ok && known) expect(opened, 'GENEVE oracle: ok').toBe(true);
            if (!r.ok && r.error === 'truncated') expect(opened, 'GENEVE oracle: truncated').toBe(false);
            if (end - 42 >= 8 && !geneve.isPlausible(b, 42)) expect(opened, 'GENEVE oracle: implausible').toBe(false);
            checked.geneve[opened ? 1 : 0]++;
          }
        }
        const plainIpv4Gre = caplen >= 38 && b[12] === 0x08 && b[13] === 0 && b[14] === 0x45 && b[23] === 47 && unfragmented;
        if (decap === 'auto' && plainIpv4Gre) {
          const tl = (b[16]! << 8) | b[17]!;
          if (tl >= 24 && tl <= b.length - 14) {
            const r = gre.parse(b, 34, Math.min(caplen, 14 + tl));
            if (!r.ok && r.error === 'malformed') expect(problems.counts[PROBLEM_KINDS.indexOf('bad-tunnel-header')], 'GRE oracle: malformed').toBe(1);
            if (!r.ok) expect(depth, 'GRE oracle: not opened').toBe(0);
            checked.gre[r.ok ? 1 : 0]++;
          }
        }
      }),
      { numRuns: 4000, seed: 0x7e11 },
    );
    // The oracles were consulted on both outcomes, and many mutants still opened a tunnel.
    for (const k of ['vxlan', 'geneve', 'gre'] as const) for (const n of checked[k]) expect(n, k).toBeGreaterThan(10);
    expect(checked.opened).toBeGreaterThan(500);
  });
});

describe('fuzz: the wire parse() oracles of IPv4, IPv6, TCP and UDP agree with the decoder', () => {
  const plain = [
    ethernet(ipv4Packet('10.0.0.1', '10.0.0.2', { proto: 'tcp', sport: 40000, dport: 80, flags: tcp.TcpFlag.ACK, payload: new Uint8Array(20) })),
    ethernet(ipv4Packet('10.0.0.1', '10.0.0.2', { proto: 'udp', sport: 4000, dport: 7, payload: new Uint8Array(12) }, { options: [1, 1, 1, 0] })),
    ethernet(ipv6Packet('2001:db8::1', '2001:db8::2', { proto: 'tcp', sport: 1, dport: 2, flags: tcp.TcpFlag.ACK, payload: new Uint8Array(10) }, [[0, new Uint8Array(8)]])),
  ];
  const mut = fc.record({ at: fc.integer({ min: 14, max: 90 }), value: fc.integer({ min: 0, max: 255 }) });
  it('on mutated headers', () => {
    const batch = new PacketBatch(1);
    const seen = { ok: 0, malformed: 0, truncated: 0 };
    fc.assert(
      fc.property(fc.nat({ max: plain.length - 1 }), fc.array(mut, { maxLength: 4 }), fc.option(fc.integer({ min: 14, max: 120 }), { nil: undefined }), (k, ms, cut) => {
        const b = plain[k]!.slice();
        for (const m of ms) if (m.at < b.length) b[m.at] = m.value;
        const caplen = cut === undefined ? b.length : Math.min(cut, b.length);
        const problems = new Problems();
        new PacketParser(batch, problems, { decap: 'none' }).decode(b, 0, caplen, b.length, 1, 0, 0, 0);
        const count = (kind: string) => problems.counts[PROBLEM_KINDS.indexOf(kind as (typeof PROBLEM_KINDS)[number])]!;
        const v6 = k === 2;
        const r = v6 ? ip6.parse(b, 14, caplen, b.length) : ip4.parse(b, 14, caplen, b.length);
        if (!r.ok) {
          seen[r.error]++;
          if (r.error === 'malformed') expect(count(v6 ? 'bad-ipv6-extension' : 'bad-ip-header') + count('bad-ip-header'), `${r.reason}`).toBeGreaterThan(0);
          else expect(count('truncated-packet'), r.reason).toBeGreaterThan(0);
          return;
        }
        seen.ok++;
        expect(count('bad-ip-header') + count('bad-ipv6-extension'), 'IP header ok').toBe(0);
        expect(batch.family[0]).toBe(v6 ? 6 : 4);
        // The transport header, when the datagram is not a fragment.
        const ipEnd = v6 ? 14 + 40 + (r.value as ip6.Ipv6Repr).payloadLen : 14 + ((r.value as ip4.Ipv4Repr).totalLen || b.length - 14);
        const proto = v6 ? (r.value as ip6.Ipv6Repr).upperProtocol : (r.value as ip4.Ipv4Repr).protocol;
        const at = v6 ? 14 + (r.value as ip6.Ipv6Repr).upperOffset : 14 + (r.value as ip4.Ipv4Repr).headerLen;
        const fragment = v6 ? (r.value as ip6.Ipv6Repr).fragment !== undefined : (r.value as ip4.Ipv4Repr).moreFragments || (r.value as ip4.Ipv4Repr).fragOffset > 0;
        if (fragment || at > Math.min(caplen, ipEnd)) return;
        if (proto === 6) {
          const t = tcp.parse(b, at, Math.min(caplen, ipEnd), ipEnd);
          if (!t.ok && t.error === 'malformed') expect(count('bad-tcp-header'), t.reason).toBe(1);
          if (!t.ok && t.error === 'truncated' && Math.min(caplen, ipEnd) - at < 20) expect(count('truncated-packet'), t.reason).toBe(1);
          if (t.ok && !(t.value.flags & tcp.TcpFlag.SYN)) expect(count('bad-tcp-header'), 'TCP header ok').toBe(0);
        } else if (proto === 17) {
          const u = udp.parse(b, at, Math.min(caplen, ipEnd));
          expect(count('bad-udp-header'), 'UDP').toBe(!u.ok && u.error === 'malformed' ? 1 : 0);
        }
      }),
      { numRuns: 3000, seed: 0x0a4c1e },
    );
    expect(Math.min(seen.ok, seen.malformed, seen.truncated)).toBeGreaterThan(20);
  });
});
