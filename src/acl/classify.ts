/**
 * Run step of the bit-vector classifier: packets in, index of the first matching rule out, into a caller's
 * Int32Array. No allocation, closures, strings or BigInt per packet; one function per table kind (compile.ts).
 *
 * Measured effect of each trick (bench/acl.bench.ts and /tmp A/B runs on the shared 2-core AMD EPYC, Node 20; the
 * machine was busy, so figures are +-20%):
 * - IPv4 loops with the table's fields hoisted into locals (classifyWord4, classifyAbv4) instead of a per-packet
 *   lookup(t, ...): NACL 25 -> 30 M lookups/s; ABV hoisting plus unrolling the seven dimensions against an all-ones
 *   bitmap: ClassBench 1K 11-13.5 -> 13-16 Mpps, 10K 5.5-6.5 -> 6.7-8 Mpps.
 * - IPv4 top-16-bit directory on address dimensions: 10K sets 4.2-5.6 -> 5.7-7.0 Mpps; NACL (27 source intervals)
 *   41 -> 55 M lookups/s, hence a threshold of 8 intervals (compile.ts DIRECTORY_MIN_INTERVALS).
 * - WORD tables hold the bitmap word itself (no id -> bitmap load); dimensions where every rule is a wildcard are
 *   left out at build time (an AWS ingress list never probes the destination address nor the source port); address
 *   probes run last and only while the AND is non-zero. Not measured separately.
 * - ABV summary words: one per 32 bitmap words, so a 10K lookup ANDs ~10 summaries instead of ~300 words before it
 *   touches bitmap words. Not measured separately.
 */
import { Dim, TableKind, type CompiledDirection, type CompiledTable } from './compile.js';
import type { PacketColumns } from './linear.js';

/** 1 for IP protocols whose packets have ports (TCP, UDP, DCCP, SCTP, UDP-Lite; see hasPorts in decode/batch.ts). */
const PORTED = new Uint8Array(256);
PORTED[6] = 1;
PORTED[17] = 1;
PORTED[33] = 1;
PORTED[132] = 1;
PORTED[136] = 1;

/** Offsets of one packet's bitmaps in an ABV pool; module-level so the lookup allocates nothing. */
const OFFS = new Int32Array(8);

/**
 * For k < n, classify packet i = idx ? idx[k] : k of `p` against `d`: out[k] = index of the first matching rule in
 * the direction's list, or -1 (no match, or a packet that is neither IPv4 nor IPv6).
 */
export function classify(d: CompiledDirection, p: PacketColumns, idx: Int32Array | null, n: number, out: Int32Array): void {
  const t4 = d.v4;
  if (t4.kind === TableKind.WORD) classifyWord4(t4, d.v6, p, idx, n, out);
  else if (t4.kind === TableKind.ABV) classifyAbv4(t4, d.v6, p, idx, n, out);
  else classifyGeneric(t4, d.v6, p, idx, n, out);
}

function classifyGeneric(t4: CompiledTable, t6: CompiledTable, p: PacketColumns, idx: Int32Array | null, n: number, out: Int32Array): void {
  const family = p.family;
  for (let k = 0; k < n; k++) {
    const i = idx === null ? k : idx[k]!;
    const f = family[i];
    if (f === 4) out[k] = lookup(t4, p, i);
    else if (f === 6) out[k] = lookup(t6, p, i);
    else out[k] = -1;
  }
}

/** The NACL case: an IPv4 WORD table with its fields hoisted into locals; other families go through lookup(). */
function classifyWord4(t: CompiledTable, t6: CompiledTable, p: PacketColumns, idx: Int32Array | null, n: number, out: Int32Array): void {
  const dims = t.dims;
  const hasProto = (dims & Dim.PROTO) !== 0;
  const hasPorts = (dims & (Dim.SPORT | Dim.DPORT)) !== 0;
  const hasSport = (dims & Dim.SPORT) !== 0;
  const hasDport = (dims & Dim.DPORT) !== 0;
  const hasIcmp = (dims & Dim.ICMP) !== 0;
  const hasFlags = (dims & Dim.FLAGS) !== 0;
  const hasSrc = (dims & Dim.SRC) !== 0;
  const hasDst = (dims & Dim.DST) !== 0;
  const protoT = t.proto;
  const sportT = t.sport;
  const dportT = t.dport;
  const icmpT = t.icmp;
  const flagsT = t.flags;
  const srcStarts = t.srcStarts;
  const srcIds = t.srcIds;
  const srcDir = t.srcDir;
  const dstStarts = t.dstStarts;
  const dstIds = t.dstIds;
  const dstDir = t.dstDir;
  const ruleIndex = t.ruleIndex;
  const family = p.family;
  const protoC = p.proto;
  const sportC = p.sport;
  const dportC = p.dport;
  const srcC = p.src;
  const dstC = p.dst;
  for (let k = 0; k < n; k++) {
    const i = idx === null ? k : idx[k]!;
    const f = family[i];
    if (f !== 4) {
      out[k] = f === 6 ? lookup(t6, p, i) : -1;
      continue;
    }
    const proto = protoC[i]!;
    let m = hasProto ? protoT[proto]! : -1;
    if (hasPorts) {
      const ported = PORTED[proto] === 1;
      if (hasDport) m &= dportT[ported ? dportC[i]! : 65536]!;
      if (hasSport) m &= sportT[ported ? sportC[i]! : 65536]!;
    }
    if (hasIcmp) m &= icmpT[proto === 1 ? (p.icmpType[i]! << 8) | p.icmpCode[i]! : 65536]!;
    if (hasFlags) m &= flagsT[proto === 6 ? p.tcpFlags[i]! : 65536]!;
    if (m !== 0 && hasSrc) m &= srcIds[find4(srcStarts, srcDir, srcC[4 * i]!)]!;
    if (m !== 0 && hasDst) m &= dstIds[find4(dstStarts, dstDir, dstC[4 * i]!)]!;
    out[k] = m === 0 ? -1 : ruleIndex[31 - Math.clz32(m & -m)]!;
  }
}

/**
 * Large IPv4 rule sets: an ABV table with its fields hoisted into locals and the seven dimensions unrolled; a left-out
 * dimension points at the all-ones bitmap, which stays in L1.
 */
function classifyAbv4(t: CompiledTable, t6: CompiledTable, p: PacketColumns, idx: Int32Array | null, n: number, out: Int32Array): void {
  const dims = t.dims;
  const ones = t.ones;
  const hasProto = (dims & Dim.PROTO) !== 0;
  const hasSport = (dims & Dim.SPORT) !== 0;
  const hasDport = (dims & Dim.DPORT) !== 0;
  const hasIcmp = (dims & Dim.ICMP) !== 0;
  const hasFlags = (dims & Dim.FLAGS) !== 0;
  const hasSrc = (dims & Dim.SRC) !== 0;
  const hasDst = (dims & Dim.DST) !== 0;
  const protoT = t.proto;
  const sportT = t.sport;
  const dportT = t.dport;
  const icmpT = t.icmp;
  const flagsT = t.flags;
  const srcStarts = t.srcStarts;
  const srcIds = t.srcIds;
  const srcDir = t.srcDir;
  const dstStarts = t.dstStarts;
  const dstIds = t.dstIds;
  const dstDir = t.dstDir;
  const ruleIndex = t.ruleIndex;
  const pool = t.pool;
  const S = t.summaries;
  const family = p.family;
  const protoC = p.proto;
  const sportC = p.sport;
  const dportC = p.dport;
  const srcC = p.src;
  const dstC = p.dst;
  for (let k = 0; k < n; k++) {
    const i = idx === null ? k : idx[k]!;
    const f = family[i];
    if (f !== 4) {
      out[k] = f === 6 ? lookup(t6, p, i) : -1;
      continue;
    }
    const proto = protoC[i]!;
    const ported = PORTED[proto] === 1;
    const o1 = hasProto ? protoT[proto]! : ones;
    const o2 = hasDport ? dportT[ported ? dportC[i]! : 65536]! : ones;
    const o3 = hasSport ? sportT[ported ? sportC[i]! : 65536]! : ones;
    const o4 = hasIcmp ? icmpT[proto === 1 ? (p.icmpType[i]! << 8) | p.icmpCode[i]! : 65536]! : ones;
    const o5 = hasFlags ? flagsT[proto === 6 ? p.tcpFlags[i]! : 65536]! : ones;
    const o6 = hasSrc ? srcIds[find4(srcStarts, srcDir, srcC[4 * i]!)]! : ones;
    const o7 = hasDst ? dstIds[find4(dstStarts, dstDir, dstC[4 * i]!)]! : ones;
    let result = -1;
    for (let s = 0; s < S && result < 0; s++) {
      let sum = pool[o1 + s]! & pool[o2 + s]! & pool[o3 + s]! & pool[o4 + s]! & pool[o5 + s]! & pool[o6 + s]! & pool[o7 + s]!;
      while (sum !== 0) {
        const low = sum & -sum;
        const w = S + (s << 5) + (31 - Math.clz32(low));
        const x = pool[o1 + w]! & pool[o2 + w]! & pool[o3 + w]! & pool[o4 + w]! & pool[o5 + w]! & pool[o6 + w]! & pool[o7 + w]!;
        if (x !== 0) {
          result = ruleIndex[((w - S) << 5) + (31 - Math.clz32(x & -x))]!;
          break;
        }
        sum ^= low;
      }
    }
    out[k] = result;
  }
}

/** First matching rule (direction list index) of packet i in one table, or -1. */
export function lookup(t: CompiledTable, p: PacketColumns, i: number): number {
  const kind = t.kind;
  if (kind === TableKind.WORD) return lookupWord(t, p, i);
  if (kind === TableKind.ABV) return lookupAbv(t, p, i);
  return -1;
}

function lookupWord(t: CompiledTable, p: PacketColumns, i: number): number {
  const dims = t.dims;
  const proto = p.proto[i]!;
  let m = -1;
  if ((dims & Dim.PROTO) !== 0) m = t.proto[proto]!;
  if ((dims & (Dim.SPORT | Dim.DPORT)) !== 0) {
    const ported = PORTED[proto] === 1;
    if ((dims & Dim.DPORT) !== 0) m &= t.dport[ported ? p.dport[i]! : 65536]!;
    if ((dims & Dim.SPORT) !== 0) m &= t.sport[ported ? p.sport[i]! : 65536]!;
  }
  if ((dims & Dim.ICMP) !== 0) m &= t.icmp[icmpSlot(t.family, proto, p, i)]!;
  if ((dims & Dim.FLAGS) !== 0) m &= t.flags[proto === 6 ? p.tcpFlags[i]! : 65536]!;
  if (m !== 0 && (dims & Dim.SRC) !== 0) m &= t.srcIds[t.family === 4 ? find4(t.srcStarts, t.srcDir, p.src[4 * i]!) : find6(t.srcStarts, p.src, 4 * i)]!;
  if (m !== 0 && (dims & Dim.DST) !== 0) m &= t.dstIds[t.family === 4 ? find4(t.dstStarts, t.dstDir, p.dst[4 * i]!) : find6(t.dstStarts, p.dst, 4 * i)]!;
  if (m === 0) return -1;
  return t.ruleIndex[31 - Math.clz32(m & -m)]!;
}

function lookupAbv(t: CompiledTable, p: PacketColumns, i: number): number {
  const dims = t.dims;
  const proto = p.proto[i]!;
  const offs = OFFS;
  let nd = 0;
  if ((dims & Dim.PROTO) !== 0) offs[nd++] = t.proto[proto]!;
  if ((dims & (Dim.SPORT | Dim.DPORT)) !== 0) {
    const ported = PORTED[proto] === 1;
    if ((dims & Dim.DPORT) !== 0) offs[nd++] = t.dport[ported ? p.dport[i]! : 65536]!;
    if ((dims & Dim.SPORT) !== 0) offs[nd++] = t.sport[ported ? p.sport[i]! : 65536]!;
  }
  if ((dims & Dim.ICMP) !== 0) offs[nd++] = t.icmp[icmpSlot(t.family, proto, p, i)]!;
  if ((dims & Dim.FLAGS) !== 0) offs[nd++] = t.flags[proto === 6 ? p.tcpFlags[i]! : 65536]!;
  if ((dims & Dim.SRC) !== 0) offs[nd++] = t.srcIds[t.family === 4 ? find4(t.srcStarts, t.srcDir, p.src[4 * i]!) : find6(t.srcStarts, p.src, 4 * i)]!;
  if ((dims & Dim.DST) !== 0) offs[nd++] = t.dstIds[t.family === 4 ? find4(t.dstStarts, t.dstDir, p.dst[4 * i]!) : find6(t.dstStarts, p.dst, 4 * i)]!;
  if (nd === 0) return t.ruleIndex[0]!;
  const pool = t.pool;
  const S = t.summaries;
  for (let s = 0; s < S; s++) {
    let sum = pool[offs[0]! + s]!;
    for (let d = 1; d < nd && sum !== 0; d++) sum &= pool[offs[d]! + s]!;
    while (sum !== 0) {
      const low = sum & -sum;
      const w = S + (s << 5) + (31 - Math.clz32(low));
      let x = pool[offs[0]! + w]!;
      for (let d = 1; d < nd && x !== 0; d++) x &= pool[offs[d]! + w]!;
      if (x !== 0) return t.ruleIndex[((w - S) << 5) + (31 - Math.clz32(x & -x))]!;
      sum ^= low;
    }
  }
  return -1;
}

function icmpSlot(family: number, proto: number, p: PacketColumns, i: number): number {
  if ((family === 4 && proto === 1) || (family === 6 && proto === 58)) return (p.icmpType[i]! << 8) | p.icmpCode[i]!;
  return 65536;
}

/** Index of the IPv4 interval holding address a: the directory narrows, binary search finishes. */
function find4(starts: Uint32Array, dir: Int32Array, a: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  if (dir.length !== 0) {
    const h = a >>> 16;
    lo = dir[h]!;
    hi = dir[h + 1]!;
    if (lo === hi) return lo;
  }
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= a) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Index of the IPv6 interval holding the address at a[off..off+3], comparing four 32-bit words. */
function find6(starts: Uint32Array, a: Uint32Array, off: number): number {
  const a0 = a[off]!;
  const a1 = a[off + 1]!;
  const a2 = a[off + 2]!;
  const a3 = a[off + 3]!;
  let lo = 0;
  let hi = (starts.length >>> 2) - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    const m = mid << 2;
    let le: boolean;
    const s0 = starts[m]!;
    if (s0 !== a0) le = s0 < a0;
    else {
      const s1 = starts[m + 1]!;
      if (s1 !== a1) le = s1 < a1;
      else {
        const s2 = starts[m + 2]!;
        le = s2 !== a2 ? s2 < a2 : starts[m + 3]! <= a3;
      }
    }
    if (le) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
