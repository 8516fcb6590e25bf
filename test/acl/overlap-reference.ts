/**
 * Reference for the overlap analysis: the whole list's feasible field combinations enumerated at once (every
 * distinct set of matching rules a packet can produce, as BigInt bitmaps), without limits. Slow, obviously right.
 */
import { hasPorts } from '../../src/decode/batch.js';
import { isAnyPorts, type Rule } from '../../src/acl/model.js';
import type { RuleOverlap } from '../../src/acl/overlap.js';

const bit = (k: number): bigint => 1n << BigInt(k);

function lowest(x: bigint): number {
  let k = 0;
  while ((x & 1n) === 0n) {
    x >>= 1n;
    k++;
  }
  return k;
}

function classes(ranges: [bigint, bigint][], size: bigint): bigint[] {
  const points = new Set<bigint>([0n]);
  for (const [lo, hi] of ranges) {
    points.add(lo);
    if (hi + 1n < size) points.add(hi + 1n);
  }
  const seen = new Set<bigint>();
  for (const p of points) {
    let bm = 0n;
    ranges.forEach(([lo, hi], k) => {
      if (lo <= p && p <= hi) bm |= bit(k);
    });
    seen.add(bm);
  }
  return [...seen];
}

function cidrRange(c: Rule['src']): [bigint, bigint] {
  const bits = c.family === 4 ? 32n : 128n;
  let lo = 0n;
  for (let w = 0; w < (c.family === 4 ? 1 : 4); w++) lo = (lo << 32n) | BigInt(c.words[w]! >>> 0);
  return [lo, lo + (1n << (bits - BigInt(c.prefix))) - 1n];
}

/** Every rule's overlap, computed from all leaves of the whole list. */
export function referenceOverlaps(rules: Rule[], family: 4 | 6): RuleOverlap[] {
  const n = rules.length;
  const space = family === 4 ? 1n << 32n : 1n << 128n;
  const src = classes(rules.map((r) => cidrRange(r.src)), space);
  const dst = classes(rules.map((r) => cidrRange(r.dst)), space);
  const sport = classes(rules.map((r) => [BigInt(r.srcPorts[0]), BigInt(r.srcPorts[1])]), 65536n);
  const dport = classes(rules.map((r) => [BigInt(r.dstPorts[0]), BigInt(r.dstPorts[1])]), 65536n);
  let portless = 0n;
  let notIcmp = 0n;
  let notTcp = 0n;
  rules.forEach((r, k) => {
    if (isAnyPorts(r.srcPorts) && isAnyPorts(r.dstPorts)) portless |= bit(k);
    if (r.icmpType === -1) notIcmp |= bit(k);
    if (!r.tcpFlags || r.tcpFlags.mask === 0) notTcp |= bit(k);
  });
  const icmp = classes(
    rules.map((r): [bigint, bigint] => (r.icmpType === -1 ? [0n, 65535n] : r.icmpCode === -1 ? [BigInt(r.icmpType << 8), BigInt((r.icmpType << 8) | 255)] : [BigInt((r.icmpType << 8) | r.icmpCode), BigInt((r.icmpType << 8) | r.icmpCode)])),
    65536n,
  );
  const flags = new Set<bigint>();
  for (let v = 0; v < 65536; v++) {
    let bm = 0n;
    rules.forEach((r, k) => {
      const f = r.tcpFlags;
      if (!f || f.mask === 0 || (v & f.mask) === (f.value & f.mask)) bm |= bit(k);
    });
    flags.add(bm);
  }
  const leaves = new Set<bigint>();
  for (let p = 0; p < 256; p++) {
    let m = 0n;
    rules.forEach((r, k) => {
      if ((p & r.protocolMask) === (r.protocol & r.protocolMask)) m |= bit(k);
    });
    if (m === 0n) continue;
    const ported = hasPorts(p);
    const isIcmp = (family === 4 && p === 1) || (family === 6 && p === 58);
    const dims = [src, dst, ported ? sport : [portless], ported ? dport : [portless], isIcmp ? icmp : [notIcmp], p === 6 ? [...flags] : [notTcp]];
    const walk = (d: number, acc: bigint): void => {
      if (acc === 0n) return;
      if (d === dims.length) {
        leaves.add(acc);
        return;
      }
      const next = new Set<bigint>();
      for (const c of dims[d]!) next.add(acc & c);
      for (const x of next) walk(d + 1, x);
    };
    walk(0, m);
  }
  const out: RuleOverlap[] = rules.map(() => ({ matchable: false, firstSomewhere: false, winners: [], next: [], nextSameAction: true }));
  const winners = rules.map(() => new Set<number>());
  const next = rules.map(() => new Set<number>());
  for (const m of leaves) {
    const first = lowest(m);
    out[first]!.firstSomewhere = true;
    const rest = m & ~bit(first);
    if (rest === 0n) out[first]!.nextSameAction = false;
    else {
      const second = lowest(rest);
      next[first]!.add(second);
      if (rules[second]!.action !== rules[first]!.action) out[first]!.nextSameAction = false;
    }
    for (let k = 0; k < n; k++) {
      if ((m & bit(k)) === 0n) continue;
      out[k]!.matchable = true;
      if (k !== first) winners[k]!.add(first);
    }
  }
  out.forEach((o, k) => {
    o.winners = [...winners[k]!].sort((a, b) => a - b);
    o.next = [...next[k]!].sort((a, b) => a - b);
  });
  return out;
}
