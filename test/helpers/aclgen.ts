/**
 * Seeded AWS-like network ACLs built from the traffic a capture holds (seen addresses, ports, ICMP types, protocols),
 * so that generated rules and subnets actually match packets. Used by the differential replay tests.
 */
import { buildAwsAcl, type EntrySpec } from '../../src/acl/formats/entries.js';
import type { Acl, Cidr } from '../../src/acl/model.js';
import type { PacketBatch } from '../../src/decode/batch.js';

type Words = [number, number, number, number];

/** xorshift32 over a seed mixed with FNV-1a of a name; returns floats in [0, 1). */
export function seededRandom(seed: number, name = ''): () => number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  let x = h >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** Values with counts; picks weighted by count half of the time, uniformly over distinct values otherwise. */
class Tally<K> {
  private readonly counts = new Map<string, { value: K; n: number }>();
  private sorted: { value: K; n: number }[] | null = null;
  private prefix: number[] = [];

  add(key: string, value: K): void {
    const e = this.counts.get(key);
    if (e) e.n++;
    else this.counts.set(key, { value, n: 1 });
    this.sorted = null;
  }

  get size(): number {
    return this.counts.size;
  }

  /** Distinct values, busiest first (ties in key order), so picks do not depend on Map internals. */
  entries(): { value: K; n: number }[] {
    if (!this.sorted) {
      this.sorted = [...this.counts.entries()].sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
      let s = 0;
      this.prefix = this.sorted.map((e) => (s += e.n));
    }
    return this.sorted;
  }

  pick(r: () => number): K | null {
    const es = this.entries();
    if (es.length === 0) return null;
    if (r() < 0.5) return pick(r, es).value;
    const t = r() * this.prefix[this.prefix.length - 1]!;
    let lo = 0;
    let hi = es.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.prefix[mid]! > t) hi = mid;
      else lo = mid + 1;
    }
    return es[lo]!.value;
  }
}

/** What a capture holds, collected from its decoded batches (later fragments and non-IP rows ignored). */
export class TrafficProfile {
  readonly v4 = new Tally<number>();
  /** Sources and destinations apart: an ingress CIDR matches the source, an egress CIDR the destination. */
  readonly v4Src = new Tally<number>();
  readonly v4Dst = new Tally<number>();
  readonly v6 = new Tally<Words>();
  readonly v6Src = new Tally<Words>();
  readonly v6Dst = new Tally<Words>();
  /** (source, destination) pairs of distinct addresses, for subnets that traffic crosses. */
  readonly v4Pairs = new Tally<[number, number]>();
  readonly v6Pairs = new Tally<[Words, Words]>();
  /** TCP/UDP destination and source ports, and destination ports alone (what AWS port ranges test). */
  readonly ports = new Tally<number>();
  readonly dports = new Tally<number>();
  readonly icmp4 = new Tally<[number, number]>();
  readonly icmp6 = new Tally<[number, number]>();
  /** Protocols other than TCP, UDP and ICMP/ICMPv6. */
  readonly otherProtos = new Tally<number>();
  packets = 0;

  /** Count the batch's IP packets (those `only` accepts, when given). */
  add(b: PacketBatch, only?: (b: PacketBatch, i: number) => boolean): void {
    for (let i = 0; i < b.length; i++) {
      const fam = b.family[i]!;
      if (fam === 0 || b.frag[i] === 2) continue;
      if (only && !only(b, i)) continue;
      this.packets++;
      const proto = b.proto[i]!;
      if (fam === 4) {
        const s = b.src[4 * i]!;
        const d = b.dst[4 * i]!;
        this.v4.add(String(s), s);
        this.v4.add(String(d), d);
        this.v4Src.add(String(s), s);
        this.v4Dst.add(String(d), d);
        if (s !== d) this.v4Pairs.add(`${s}>${d}`, [s, d]);
      } else {
        const s: Words = [b.src[4 * i]!, b.src[4 * i + 1]!, b.src[4 * i + 2]!, b.src[4 * i + 3]!];
        const d: Words = [b.dst[4 * i]!, b.dst[4 * i + 1]!, b.dst[4 * i + 2]!, b.dst[4 * i + 3]!];
        this.v6.add(s.join(','), s);
        this.v6.add(d.join(','), d);
        this.v6Src.add(s.join(','), s);
        this.v6Dst.add(d.join(','), d);
        if (s.join() !== d.join()) this.v6Pairs.add(`${s.join()}>${d.join()}`, [s, d]);
      }
      if (proto === 6 || proto === 17) {
        this.ports.add(String(b.dport[i]), b.dport[i]!);
        this.ports.add(String(b.sport[i]), b.sport[i]!);
        this.dports.add(String(b.dport[i]), b.dport[i]!);
      } else if ((fam === 4 && proto === 1) || (fam === 6 && proto === 58)) {
        const tc: [number, number] = [b.icmpType[i]!, b.icmpCode[i]!];
        (fam === 4 ? this.icmp4 : this.icmp6).add(tc.join('/'), tc);
      } else this.otherProtos.add(String(proto), proto);
    }
  }
}

/** Host bits cleared, computed with shifts (independently of src/acl/model.ts). */
export function maskedWords(family: 4 | 6, w: readonly number[], prefix: number): Words {
  const out: Words = [0, 0, 0, 0];
  const nw = family === 4 ? 1 : 4;
  for (let k = 0; k < nw; k++) {
    const bits = Math.max(0, Math.min(32, prefix - 32 * k));
    out[k] = bits === 0 ? 0 : bits === 32 ? w[k]! >>> 0 : ((w[k]! >>> (32 - bits)) << (32 - bits)) >>> 0;
  }
  return out;
}

export function cidrOf(family: 4 | 6, w: readonly number[], prefix: number): Cidr {
  return { family, words: maskedWords(family, w, prefix), prefix };
}

/** Dotted quad / uncompressed IPv6 text, written here rather than borrowed from src/. */
export function addressText(family: 4 | 6, w: readonly number[]): string {
  if (family === 4) {
    const a = w[0]! >>> 0;
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }
  const groups: string[] = [];
  for (let k = 0; k < 4; k++) groups.push(((w[k]! >>> 16) & 0xffff).toString(16), (w[k]! & 0xffff).toString(16));
  return groups.join(':');
}

export function cidrText(c: Cidr): string {
  return `${addressText(c.family, c.words)}/${c.prefix}`;
}

/** True when the address at words[off..] (one word for IPv4, four for IPv6) lies in c; shift-compare per word. */
export function inCidr(c: Cidr, words: ArrayLike<number>, off: number): boolean {
  let bits = c.prefix;
  const nw = c.family === 4 ? 1 : 4;
  for (let k = 0; k < nw && bits > 0; k++) {
    if (bits >= 32) {
      if (words[off + k]! >>> 0 !== c.words[k]) return false;
      bits -= 32;
    } else {
      const sh = 32 - bits;
      if (words[off + k]! >>> sh !== c.words[k]! >>> sh) return false;
      bits = 0;
    }
  }
  return true;
}

/** One generated AWS entry, kept in its own terms so tests can derive other representations (tcpdump filters). */
export interface GenEntry {
  ruleNumber: number;
  egress: boolean;
  /** -1 = all. */
  protocol: number;
  action: 'allow' | 'deny';
  cidr: Cidr;
  /** Given for TCP/UDP (required by AWS); sometimes also for other protocols, where AWS ignores it. */
  ports: [number, number] | null;
  /** For ICMP rules: type and code, -1 = any. */
  icmp: { type: number; code: number } | null;
}

/** Port ranges at the OS ephemeral-range edges (design.md, "Port-range profiles"). */
const PROFILE_RANGES: [number, number][] = [
  [1024, 65535],
  [32768, 60999],
  [32768, 61000],
  [32768, 65535],
  [49152, 65535],
  [1025, 5000],
  [1024, 5000],
  [10000, 65535],
  [0, 1023],
  [0, 65535],
  [5000, 32768],
  [60999, 65535],
];
const EDGES = [0, 1023, 1024, 1025, 5000, 5001, 32767, 32768, 49151, 49152, 60999, 61000, 65535];

function clampPort(p: number): number {
  return Math.max(0, Math.min(65535, p));
}

function portRange(r: () => number, prof: TrafficProfile): [number, number] {
  const seen = r() < 0.7 ? prof.dports.pick(r) : prof.ports.pick(r);
  const x = r();
  if (seen === null || x < 0.3) return pick(r, PROFILE_RANGES);
  if (x < 0.55) return [seen, seen];
  if (x < 0.7) {
    const k = pick(r, [1, 2, 10, 100, 1000]);
    return [clampPort(seen - k), clampPort(seen + randInt(r, 0, k))];
  }
  if (x < 0.8) return r() < 0.5 ? [seen, 65535] : [0, seen];
  if (x < 0.9) {
    const e = pick(r, EDGES);
    return seen <= e ? [seen, e] : [e, seen];
  }
  const a = randInt(r, 0, 65535);
  const b = randInt(r, 0, 65535);
  return a <= b ? [a, b] : [b, a];
}

/** A prefix around a seen address (or a random one): /32,/24,/16,/0 for IPv4; /128,/64,/48,/0 for IPv6. */
export function cidrAround(r: () => number, prof: TrafficProfile, family: 4 | 6, opts: { side?: 'src' | 'dst'; noZero?: boolean } = {}): Cidr {
  const tally = family === 4 ? (opts.side === 'src' ? prof.v4Src : opts.side === 'dst' ? prof.v4Dst : prof.v4) : opts.side === 'src' ? prof.v6Src : opts.side === 'dst' ? prof.v6Dst : prof.v6;
  const seen = r() < 0.9 ? tally.pick(r) : null;
  let w: number[];
  if (seen === null) w = family === 4 ? [randInt(r, 0, 0xffffffff)] : [0x20010db8, randInt(r, 0, 0xffff), randInt(r, 0, 0xffffffff), randInt(r, 0, 0xffffffff)];
  else w = typeof seen === 'number' ? [seen] : [...seen];
  const x = r();
  let prefix: number;
  if (family === 4) prefix = x < 0.3 ? 32 : x < 0.55 ? 24 : x < 0.7 ? 16 : x < 0.82 && !opts.noZero ? 0 : randInt(r, 8, 31);
  else prefix = x < 0.3 ? 128 : x < 0.55 ? 64 : x < 0.7 ? 48 : x < 0.82 && !opts.noZero ? 0 : randInt(r, 16, 127);
  return cidrOf(family, w, prefix);
}

/** Length of the common leading bits of two addresses. */
export function commonPrefix(family: 4 | 6, a: readonly number[], b: readonly number[]): number {
  const nw = family === 4 ? 1 : 4;
  for (let k = 0; k < nw; k++) {
    const x = (a[k]! ^ b[k]!) >>> 0;
    if (x !== 0) return 32 * k + Math.clz32(x);
  }
  return 32 * nw;
}

/**
 * A subnet that a seen packet crosses: around the destination of a seen (source, destination) pair, with a prefix
 * longer than their common prefix (one of `preferred` when possible). Null when the capture has no such pair.
 */
export function crossedSubnet(r: () => number, prof: TrafficProfile, family: 4 | 6, preferred: number[]): Cidr | null {
  const pair = (family === 4 ? prof.v4Pairs : prof.v6Pairs).pick(r);
  if (pair === null) return null;
  const [s, d] = pair;
  const sw = typeof s === 'number' ? [s] : s;
  const dw = typeof d === 'number' ? [d] : d;
  const cpl = commonPrefix(family, sw, dw);
  const ok = preferred.filter((p) => p > cpl);
  const prefix = ok.length > 0 ? pick(r, ok) : randInt(r, cpl + 1, family === 4 ? 32 : 128);
  return cidrOf(family, dw, prefix);
}

export interface GenOptions {
  families: (4 | 6)[];
  directions: ('inbound' | 'outbound')[];
  minRules: number;
  maxRules: number;
  /** Allow numeric protocols other than tcp/udp/icmp/all (default true). */
  otherProtocols?: boolean;
  /**
   * Give the more specific entries the lower rule numbers (with jitter), as people write ACLs; otherwise numbers are
   * random, so broad entries often shadow everything after them.
   */
  specificFirst?: boolean;
}

/** How narrow an entry is, roughly 0 (all traffic) to 3 (one host, one port). */
function specificity(g: GenEntry): number {
  let s = g.cidr.prefix / (g.cidr.family === 4 ? 32 : 128);
  if ((g.protocol === 6 || g.protocol === 17) && g.ports) s += 1 - Math.log2(g.ports[1] - g.ports[0] + 1) / 16;
  else if (g.icmp && g.icmp.type >= 0) s += g.icmp.code >= 0 ? 1 : 0.8;
  else if (g.protocol !== -1) s += 0.5;
  return s;
}

/** 5-40 (by default) rules per direction and family with distinct rule numbers per direction, in file order. */
export function generateEntries(r: () => number, prof: TrafficProfile, opts: GenOptions): GenEntry[] {
  const out: GenEntry[] = [];
  for (const direction of opts.directions) {
    const used = new Set<number>();
    const number = (): number => {
      for (;;) {
        const x = r();
        const n = x < 0.6 ? 10 * randInt(r, 1, 300) : x < 0.9 ? randInt(r, 1, 5000) : randInt(r, 1, 32766);
        if (!used.has(n)) {
          used.add(n);
          return n;
        }
      }
    };
    for (const family of opts.families) {
      const n = randInt(r, opts.minRules, opts.maxRules);
      const first = out.length;
      for (let k = 0; k < n; k++) {
        const icmpProto = family === 4 ? 1 : 58;
        const x = r();
        let protocol: number;
        if (x < 0.35) protocol = 6;
        else if (x < 0.55) protocol = 17;
        else if (x < 0.72) protocol = icmpProto;
        else if (x < 0.88) protocol = -1;
        else if (opts.otherProtocols === false) protocol = pick(r, [6, 17, icmpProto, -1]);
        else if (x < 0.96) protocol = prof.otherProtos.pick(r) ?? pick(r, [2, 47, 50, 132]);
        else protocol = pick(r, [0, 2, 47, 50, 132, 255, family === 4 ? 58 : 1]);
        let ports: [number, number] | null = null;
        if (protocol === 6 || protocol === 17) ports = portRange(r, prof);
        else if (r() < 0.1) ports = portRange(r, prof); // AWS ignores a port range on these protocols
        let icmp: GenEntry['icmp'] = null;
        if (protocol === icmpProto || (protocol === 1 && family === 6)) {
          const seen = (family === 4 ? prof.icmp4 : prof.icmp6).pick(r);
          const y = r();
          if (seen && y < 0.45) icmp = { type: seen[0], code: seen[1] };
          else if (seen && y < 0.65) icmp = { type: seen[0], code: -1 };
          else if (y < 0.85) icmp = { type: -1, code: -1 };
          else icmp = { type: pick(r, family === 4 ? [0, 3, 8, 11] : [1, 2, 128, 129, 135, 136]), code: randInt(r, 0, 4) };
        }
        out.push({
          ruleNumber: number(),
          egress: direction === 'outbound',
          protocol,
          action: r() < 0.6 ? 'allow' : 'deny',
          cidr: cidrAround(r, prof, family, r() < 0.7 ? { side: direction === 'inbound' ? 'src' : 'dst' } : {}),
          ports,
          icmp,
        });
      }
      if (opts.specificFirst) {
        const mine = out.slice(first);
        const numbers = mine.map((g) => g.ruleNumber).sort((x, y) => x - y);
        const keyed = mine.map((g) => ({ g, key: specificity(g) + r() * 0.5 })).sort((x, y) => y.key - x.key);
        keyed.forEach((x, k) => (x.g.ruleNumber = numbers[k]!));
      }
    }
  }
  return out;
}

/** The entry as an importer would hand it to buildAwsAcl. */
export function entrySpec(g: GenEntry, i: number): EntrySpec {
  const text = cidrText(g.cidr);
  const where = { path: `generated[${i}]` };
  const spec: EntrySpec = {
    ruleNumber: g.ruleNumber,
    egress: g.egress,
    protocol: g.protocol,
    action: g.action,
    hasPorts: g.ports !== null,
    where,
    field: () => where,
  };
  if (g.cidr.family === 4) spec.cidrBlock = text;
  else spec.ipv6CidrBlock = text;
  if (g.ports) {
    spec.portFrom = g.ports[0];
    spec.portTo = g.ports[1];
  }
  if (g.icmp) {
    spec.icmpType = g.icmp.type;
    spec.icmpCode = g.icmp.code;
  }
  return spec;
}

/** An ACL with AWS semantics from generated entries (through the same builder every AWS-shaped importer uses). */
export function awsAcl(id: string, entries: GenEntry[]): Acl {
  return buildAwsAcl({ id, name: null, file: `generated:${id}`, format: 'yaml', associations: [], tags: {} }, entries.map(entrySpec));
}

/** The entries as the native YAML format (README-acl.md), for end-to-end replays through the file loader. */
export function nativeYaml(id: string, entries: GenEntry[]): string {
  const line = (g: GenEntry): string => {
    const parts = [`rule: ${g.ruleNumber}`, `proto: ${g.protocol === -1 ? 'all' : g.protocol === 6 ? 'tcp' : g.protocol === 17 ? 'udp' : g.protocol === 1 ? 'icmp' : g.protocol}`];
    if (g.ports) parts.push(`ports: "${g.ports[0]}-${g.ports[1]}"`);
    if (g.icmp) parts.push(`icmp: { type: ${g.icmp.type}, code: ${g.icmp.code} }`);
    parts.push(`cidr: "${cidrText(g.cidr)}"`, `action: ${g.action}`);
    return `      - { ${parts.join(', ')} }`;
  };
  const dir = (egress: boolean) => entries.filter((g) => g.egress === egress).map(line);
  const inb = dir(false);
  const outb = dir(true);
  return [`acls:`, `  - id: ${id}`, `    inbound:${inb.length ? '' : ' []'}`, ...inb, `    outbound:${outb.length ? '' : ' []'}`, ...outb, ''].join('\n');
}
