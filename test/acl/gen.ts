/** Random rules and packets for property tests: biased toward rule boundaries, portless protocols and ICMP. */
import fc from 'fast-check';
import { maskWords, type Cidr, type Rule } from '../../src/acl/model.js';
import type { PacketColumns } from '../../src/acl/linear.js';
import { packetColumns } from '../../src/acl/trace.js';

/** Small deterministic PRNG (mulberry32) so a fast-check seed reproduces the packets too. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROTOS = [1, 6, 17, 58, 47, 132, 0, 255, 50];

function int(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function randomWords(r: () => number, family: 4 | 6, pool: number[][]): [number, number, number, number] {
  // Reuse a few base addresses so prefixes nest and overlap.
  if (pool.length > 0 && r() < 0.7) {
    const b = pick(r, pool);
    const w: [number, number, number, number] = [b[0]!, b[1]!, b[2]!, b[3]!];
    const flip = int(r, 0, family === 4 ? 0 : 3);
    w[flip] = (w[flip]! ^ (1 << int(r, 0, 31))) >>> 0;
    return w;
  }
  const w: [number, number, number, number] = [(r() * 2 ** 32) >>> 0, 0, 0, 0];
  if (family === 6) for (let i = 1; i < 4; i++) w[i] = (r() * 2 ** 32) >>> 0;
  pool.push([...w]);
  return w;
}

function randomCidr(r: () => number, family: 4 | 6, pool: number[][]): Cidr {
  const max = family === 4 ? 32 : 128;
  const x = r();
  const prefix = x < 0.25 ? 0 : x < 0.4 ? max : int(r, 1, max);
  return { family, words: maskWords(family, randomWords(r, family, pool), prefix), prefix };
}

function randomPorts(r: () => number): [number, number] {
  const x = r();
  if (x < 0.5) return [0, 65535];
  if (x < 0.6) return [0, int(r, 0, 65535)];
  if (x < 0.7) return [int(r, 0, 65535), 65535];
  if (x < 0.85) {
    const p = pick(r, [0, 1, 22, 80, 443, 1023, 1024, 32768, 61000, 65534, 65535]);
    return [p, p];
  }
  const a = int(r, 0, 65535);
  const b = int(r, 0, 65535);
  return a <= b ? [a, b] : [b, a];
}

/** A random rule list: mixed families, wildcard/masked protocols, ICMP and TCP-flag rules, overlaps. */
export function randomRules(seed: number, n: number, families: (4 | 6)[] = [4, 6]): Rule[] {
  const r = rng(seed);
  const pools: Record<4 | 6, number[][]> = { 4: [], 6: [] };
  const rules: Rule[] = [];
  for (let k = 0; k < n; k++) {
    const family = pick(r, families);
    const pr = r();
    let protocol = 0;
    let protocolMask = 0;
    if (pr < 0.2) protocolMask = 0;
    else if (pr < 0.9) {
      protocol = pick(r, PROTOS);
      protocolMask = 0xff;
    } else {
      protocol = int(r, 0, 255);
      protocolMask = int(r, 1, 255);
    }
    let icmpType = -1;
    let icmpCode = -1;
    if (r() < 0.15) {
      protocol = family === 4 ? 1 : 58;
      protocolMask = r() < 0.8 ? 0xff : 0;
      icmpType = pick(r, [0, 3, 8, 11, 128, 129, 255]);
      icmpCode = r() < 0.5 ? -1 : pick(r, [0, 1, 4, 255]);
    }
    let tcpFlags: Rule['tcpFlags'] = null;
    if (r() < 0.15) tcpFlags = { value: int(r, 0, 0x1ff), mask: pick(r, [0, 0x02, 0x12, 0x10, 0x1ff, 0x1000, 0x200]) };
    const ports = r() < 0.5;
    rules.push({
      ruleNumber: k + 1,
      action: r() < 0.5 ? 'allow' : 'deny',
      family,
      protocol,
      protocolMask,
      src: randomCidr(r, family, pools[family]),
      dst: randomCidr(r, family, pools[family]),
      srcPorts: ports ? randomPorts(r) : [0, 65535],
      dstPorts: ports || r() < 0.3 ? randomPorts(r) : [0, 65535],
      icmpType,
      icmpCode,
      tcpFlags,
      origin: { file: 'random' },
    });
  }
  // Shadowed duplicates.
  if (n > 2) for (let k = 0; k < n / 10; k++) rules.push({ ...rules[int(r, 0, n - 1)]!, ruleNumber: rules.length + 1 });
  return rules;
}

function edgeAddress(r: () => number, c: Cidr, out: Uint32Array, off: number): void {
  const nw = c.family === 4 ? 1 : 4;
  const x = r();
  for (let w = 0; w < 4; w++) out[off + w] = w < nw ? c.words[w]! : 0;
  if (x < 0.3) return; // first address
  // last address of the prefix, or one past / one before the edges
  for (let w = 0; w < nw; w++) {
    const bits = Math.max(0, Math.min(32, c.prefix - 32 * w));
    const host = bits === 32 ? 0 : bits === 0 ? 0xffffffff : 0xffffffff >>> bits;
    if (x < 0.6) out[off + w] = (out[off + w]! | host) >>> 0;
    else if (x < 0.8) out[off + w] = (out[off + w]! | (host & (r() * 2 ** 32))) >>> 0;
  }
  if (x >= 0.8 && x < 0.9) {
    // one before the first address (borrow across words)
    for (let w = nw - 1; w >= 0; w--) {
      const v = out[off + w]!;
      out[off + w] = (v - 1) >>> 0;
      if (v !== 0) break;
    }
  } else if (x >= 0.9) {
    for (let w = 0; w < nw; w++) out[off + w] = (r() * 2 ** 32) >>> 0;
  }
}

/** n packets aimed at the rules' edges: prefix first/last/outside addresses, port range edges, ICMP, portless. */
export function randomPackets(seed: number, rules: Rule[], n: number): PacketColumns {
  const r = rng(seed);
  const p = packetColumns(n);
  for (let i = 0; i < n; i++) {
    const rule = rules.length > 0 ? pick(r, rules) : null;
    const family: 4 | 6 = r() < 0.05 ? (r() < 0.5 ? 4 : 6) : (rule?.family ?? 4);
    p.family[i] = r() < 0.01 ? 0 : family;
    let proto = rule && rule.protocolMask !== 0 && r() < 0.8 ? rule.protocol & 0xff : pick(r, PROTOS);
    if (r() < 0.05) proto = int(r, 0, 255);
    p.proto[i] = proto;
    const src = rule && rule.family === family ? rule.src : { family, words: [0, 0, 0, 0] as [number, number, number, number], prefix: 0 };
    const dst = rule && rule.family === family ? rule.dst : src;
    edgeAddress(r, src, p.src, 4 * i);
    edgeAddress(r, dst, p.dst, 4 * i);
    const edge = (range: [number, number]) => {
      const x = r();
      const v = x < 0.3 ? range[0] : x < 0.6 ? range[1] : x < 0.7 ? range[0] - 1 : x < 0.8 ? range[1] + 1 : int(r, 0, 65535);
      return Math.min(65535, Math.max(0, v));
    };
    p.sport[i] = rule ? edge(rule.srcPorts) : int(r, 0, 65535);
    p.dport[i] = rule ? edge(rule.dstPorts) : int(r, 0, 65535);
    p.icmpType[i] = rule && rule.icmpType >= 0 && r() < 0.7 ? rule.icmpType : int(r, 0, 255);
    p.icmpCode[i] = rule && rule.icmpCode >= 0 && r() < 0.7 ? rule.icmpCode : pick(r, [0, 1, 4, 255, int(r, 0, 255)]);
    p.tcpFlags[i] = rule && rule.tcpFlags && r() < 0.7 ? (rule.tcpFlags.value & 0x1ff) ^ (r() < 0.3 ? 1 << int(r, 0, 8) : 0) : int(r, 0, 0x1ff);
  }
  return p;
}

/** fast-check arbitrary of (rules seed, rule count, packet seed). */
export function ruleSetArb(maxRules: number): fc.Arbitrary<{ seed: number; n: number; pseed: number }> {
  return fc.record({ seed: fc.integer(), n: fc.integer({ min: 1, max: maxRules }), pseed: fc.integer() });
}
