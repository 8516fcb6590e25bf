/**
 * Exact overlap analysis of one rule list (one direction and address family), rule by rule: the space a rule
 * matches is cut into cells by the rules that intersect it (protocol first, so a portless protocol has no ports,
 * only ICMP has a type and only TCP has flags; then source, destination, ports, ICMP type/code, TCP flags), and
 * every cell tells which rule matches first there and, where that is the rule itself, which rule would match next.
 * The work is counted (cells times the rules they are split by) against a per-rule and a total budget, so a huge
 * or adversarial set stops at the same place on every machine; a rule whose analysis does not finish is reported
 * as undecided, never guessed.
 */
import { hasPorts } from '../decode/batch.js';
import { isAnyPorts, type Rule } from './model.js';

/** What the cells of one rule say. */
export interface RuleOverlap {
  /** Some packet matches the rule. */
  matchable: boolean;
  /** Some packet matches the rule first. */
  firstSomewhere: boolean;
  /** Earlier rules (indexes into the list) that match first somewhere in the rule's space. */
  winners: number[];
  /** Where the rule matches first, the rules that would match next (indexes), when asked for. */
  next: number[];
  /** Every packet the rule matches first has a next rule with the same action (when asked for). */
  nextSameAction: boolean;
}

export interface OverlapOptions {
  /** Also find, where a rule matches first, the rule that would match next (redundancy; not for ClassBench). */
  next: boolean;
  /** Work units one rule may take before it is left undecided (default DEFAULT_RULE_BUDGET). */
  ruleBudget?: number;
  /** Work units for the whole list (default DEFAULT_TOTAL_BUDGET). */
  totalBudget?: number;
}

/** Per rule (by index) its overlap, or null when undecided; with the work done and where the total budget ran out. */
export interface OverlapAnalysis {
  rules: (RuleOverlap | null)[];
  /** Rules left undecided because their own budget ran out. */
  overBudget: number[];
  /** Index of the first rule not analysed because the total budget ran out, or null. */
  stoppedAt: number | null;
  work: number;
}

/**
 * A work unit is about 10 ns on the project's 2-core VM (8.6-16 ns measured on the 10K ClassBench sets and on 32,766-
 * rule ACLs), so one rule may take about 10 ms and a whole ACL about 2 s.
 */
export const DEFAULT_RULE_BUDGET = 1_000_000;
export const DEFAULT_TOTAL_BUDGET = 200_000_000;

// Dimensions after the protocol, as bits of an "active" mask.
const SRC = 0;
const DST = 1;
const SPORT = 2;
const DPORT = 3;
const ICMP = 4;
const FLAGS = 5;
const DIMS = 6;

/** The rules as columns: interval dimensions as ranks (addresses) or values (ports, ICMP type<<8|code). */
interface Table {
  n: number;
  proto: Int32Array;
  protoMask: Int32Array;
  /** lo/hi per interval dimension (SRC..ICMP), inclusive. */
  lo: Int32Array[];
  hi: Int32Array[];
  anyPorts: Uint8Array;
  anyIcmp: Uint8Array;
  flagValue: Int32Array;
  flagMask: Int32Array;
  allow: Uint8Array;
}

function addressRange(c: Rule['src']): [bigint, bigint] {
  const bits = c.family === 4 ? 32n : 128n;
  let lo = 0n;
  for (let w = 0; w < (c.family === 4 ? 1 : 4); w++) lo = (lo << 32n) | BigInt(c.words[w]! >>> 0);
  return [lo, lo + (1n << (bits - BigInt(c.prefix))) - 1n];
}

/** Address intervals as ranks of their distinct boundaries: order and overlap are kept, numbers stay small. */
function rankedAddresses(ranges: [bigint, bigint][]): { lo: Int32Array; hi: Int32Array } {
  const bounds = new Set<bigint>();
  for (const [a, b] of ranges) {
    bounds.add(a);
    bounds.add(b + 1n);
  }
  const sorted = [...bounds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rank = new Map<bigint, number>();
  sorted.forEach((v, i) => rank.set(v, i));
  const lo = new Int32Array(ranges.length);
  const hi = new Int32Array(ranges.length);
  ranges.forEach(([a, b], i) => {
    lo[i] = rank.get(a)!;
    hi[i] = rank.get(b + 1n)! - 1;
  });
  return { lo, hi };
}

function buildTable(rules: Rule[]): Table {
  const n = rules.length;
  const src = rankedAddresses(rules.map((r) => addressRange(r.src)));
  const dst = rankedAddresses(rules.map((r) => addressRange(r.dst)));
  const sportLo = new Int32Array(n);
  const sportHi = new Int32Array(n);
  const dportLo = new Int32Array(n);
  const dportHi = new Int32Array(n);
  const icmpLo = new Int32Array(n);
  const icmpHi = new Int32Array(n);
  const t: Table = {
    n,
    proto: new Int32Array(n),
    protoMask: new Int32Array(n),
    lo: [src.lo, dst.lo, sportLo, dportLo, icmpLo],
    hi: [src.hi, dst.hi, sportHi, dportHi, icmpHi],
    anyPorts: new Uint8Array(n),
    anyIcmp: new Uint8Array(n),
    flagValue: new Int32Array(n),
    flagMask: new Int32Array(n),
    allow: new Uint8Array(n),
  };
  rules.forEach((r, i) => {
    t.proto[i] = r.protocol & 0xff;
    t.protoMask[i] = r.protocolMask & 0xff;
    sportLo[i] = r.srcPorts[0];
    sportHi[i] = r.srcPorts[1];
    dportLo[i] = r.dstPorts[0];
    dportHi[i] = r.dstPorts[1];
    if (r.icmpType === -1) {
      icmpLo[i] = 0;
      icmpHi[i] = 65535;
    } else if (r.icmpCode === -1) {
      icmpLo[i] = r.icmpType << 8;
      icmpHi[i] = (r.icmpType << 8) | 255;
    } else {
      icmpLo[i] = icmpHi[i] = (r.icmpType << 8) | r.icmpCode;
    }
    t.anyPorts[i] = isAnyPorts(r.srcPorts) && isAnyPorts(r.dstPorts) ? 1 : 0;
    t.anyIcmp[i] = r.icmpType === -1 ? 1 : 0;
    const f = r.tcpFlags;
    t.flagMask[i] = f ? f.mask & 0xffff : 0;
    t.flagValue[i] = f ? f.value & f.mask & 0xffff : 0;
    t.allow[i] = r.action === 'allow' ? 1 : 0;
  });
  return t;
}

/**
 * Rules by one interval dimension, to find those overlapping an interval without looking at all of them: sorted by
 * lo, with a max-hi tree over that order (counting takes two binary searches, listing is proportional to the answer).
 */
class IntervalIndex {
  private readonly order: Int32Array;
  private readonly loSorted: Int32Array;
  private readonly hiSorted: Int32Array;
  private readonly maxHi: Int32Array;
  private readonly size: number;

  constructor(lo: Int32Array, hi: Int32Array) {
    const n = lo.length;
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = lo[i]! * 65536 + i;
    keys.sort();
    this.order = new Int32Array(n);
    this.loSorted = new Int32Array(n);
    for (let p = 0; p < n; p++) {
      const j = keys[p]! % 65536;
      this.order[p] = j;
      this.loSorted[p] = lo[j]!;
    }
    this.hiSorted = Int32Array.from(hi).sort();
    let size = 1;
    while (size < n) size *= 2;
    this.size = size;
    this.maxHi = new Int32Array(2 * size).fill(-1);
    for (let p = 0; p < n; p++) this.maxHi[size + p] = hi[this.order[p]!]!;
    for (let v = size - 1; v >= 1; v--) this.maxHi[v] = Math.max(this.maxHi[2 * v]!, this.maxHi[2 * v + 1]!);
  }

  /** How many intervals meet [a, b]: those starting at or before b, less those ending before a. */
  count(a: number, b: number): number {
    return upperBound(this.loSorted, b) - upperBound(this.hiSorted, a - 1);
  }

  /** The intervals meeting [a, b], appended to `out` from `at`; returns the new length. */
  collect(a: number, b: number, out: Int32Array, at: number): number {
    const end = upperBound(this.loSorted, b); // positions [0, end) start at or before b
    if (end === 0) return at;
    const stack = [1];
    const size = this.size;
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (this.maxHi[v]! < a) continue;
      if (v >= size) {
        out[at++] = this.order[v - size]!;
        continue;
      }
      // Node v covers positions [l, l + width): descend only into children that start before `end`.
      const depth = 31 - Math.clz32(v);
      const width = size >>> depth;
      const mid = (v - (1 << depth)) * width + width / 2;
      stack.push(2 * v);
      if (mid < end) stack.push(2 * v + 1);
    }
    return at;
  }
}

/** Number of values in sorted `xs` that are <= x. */
function upperBound(xs: Int32Array, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (xs[m]! <= x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** Thrown out of one rule's analysis when its budget runs out. */
class OverBudget extends Error {}

/** Distinct (tag, subset) pairs, subsets being sorted index lists, found by content. */
class SubsetSet {
  private readonly buckets = new Map<number, { tag: number; s: Int32Array }[]>();

  /** True when (`tag`, `s`) was not in the set yet (it is added). */
  add(s: Int32Array, tag: number): boolean {
    let h = 0x811c9dc5 ^ tag;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s[i]!, 0x01000193);
    const list = this.buckets.get(h);
    if (list === undefined) {
      this.buckets.set(h, [{ tag, s }]);
      return true;
    }
    outer: for (const x of list) {
      if (x.tag !== tag || x.s.length !== s.length) continue;
      for (let i = 0; i < s.length; i++) if (x.s[i] !== s[i]) continue outer;
      return false;
    }
    list.push({ tag, s });
    return true;
  }
}

/** Analyse every rule of `rules` (one direction and family, in priority order). */
export function analyseOverlaps(rules: Rule[], family: 4 | 6, opts: OverlapOptions): OverlapAnalysis {
  const t = buildTable(rules);
  const n = t.n;
  const ruleBudget = opts.ruleBudget ?? DEFAULT_RULE_BUDGET;
  const totalBudget = opts.totalBudget ?? DEFAULT_TOTAL_BUDGET;
  const out: (RuleOverlap | null)[] = new Array<RuleOverlap | null>(n).fill(null);
  const overBudget: number[] = [];
  let work = 0;
  let stoppedAt: number | null = null;
  const candidates = new Int32Array(n);
  const contain = new Uint8Array(n);
  const indexes = t.lo.map((lo, d) => new IntervalIndex(lo, t.hi[d]!));
  work += 5 * n;
  for (let k = 0; k < n; k++) {
    const left = totalBudget - work;
    if (left <= 0) {
      stoppedAt = k;
      break;
    }
    if (rules[k]!.ruleNumber === '*') continue; // never reported; other rules meet it as a candidate
    const limit = Math.min(ruleBudget, left);
    const a = new RuleAnalysis(t, k, family, opts.next, limit, candidates, contain, indexes);
    try {
      out[k] = a.run();
    } catch (e) {
      if (!(e instanceof OverBudget)) throw e;
      if (limit < ruleBudget) {
        stoppedAt = k;
        work += a.work;
        break;
      }
      overBudget.push(k);
    }
    work += a.work;
  }
  return { rules: out, overBudget, stoppedAt, work };
}

/** The cells of one rule's space. */
class RuleAnalysis {
  work = 0;
  private matchable = false;
  private firstSomewhere = false;
  private readonly winners = new Set<number>();
  private readonly next = new Set<number>();
  private nextSameAction = true;
  private readonly seen = new SubsetSet();

  constructor(
    private readonly t: Table,
    private readonly k: number,
    private readonly family: 4 | 6,
    private readonly wantNext: boolean,
    private readonly budget: number,
    private readonly scratch: Int32Array,
    /** Per rule: bit d set when the rule covers rule k's whole range in dimension d. */
    private readonly contain: Uint8Array,
    private readonly indexes: IntervalIndex[],
  ) {}

  private spend(units: number): void {
    this.work += units;
    if (this.work > this.budget) throw new OverBudget();
  }

  run(): RuleOverlap {
    const { t, k } = this;
    // The rules that intersect rule k's box, listed from the dimension where fewest do (ClassBench: only earlier
    // ones matter, nothing asks for the next rule).
    let best = 0;
    let fewest = Infinity;
    for (let d = 0; d <= ICMP; d++) {
      const c = this.indexes[d]!.count(t.lo[d]![k]!, t.hi[d]![k]!);
      if (c < fewest) {
        fewest = c;
        best = d;
      }
    }
    this.spend(16 + 2 * fewest);
    const found = this.indexes[best]!.collect(t.lo[best]![k]!, t.hi[best]![k]!, this.scratch, 0);
    const listed = this.scratch.subarray(0, found).sort();
    const pk = t.proto[k]!;
    const mk = t.protoMask[k]!;
    const fk = t.flagMask[k]!;
    const vk = t.flagValue[k]!;
    const [sLo, dLo, spLo, dpLo, iLo] = t.lo as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
    const [sHi, dHi, spHi, dpHi, iHi] = t.hi as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
    const ksLo = sLo[k]!, ksHi = sHi[k]!, kdLo = dLo[k]!, kdHi = dHi[k]!;
    const kspLo = spLo[k]!, kspHi = spHi[k]!, kdpLo = dpLo[k]!, kdpHi = dpHi[k]!, kiLo = iLo[k]!, kiHi = iHi[k]!;
    const proto = t.proto;
    const protoMask = t.protoMask;
    const flagMask = t.flagMask;
    const flagValue = t.flagValue;
    let m = 0;
    for (let i = 0; i < found; i++) {
      const j = listed[i]!;
      if (!this.wantNext && j > k) break;
      if (sLo[j]! > ksHi || sHi[j]! < ksLo || dLo[j]! > kdHi || dHi[j]! < kdLo) continue;
      if (dpLo[j]! > kdpHi || dpHi[j]! < kdpLo || spLo[j]! > kspHi || spHi[j]! < kspLo || iLo[j]! > kiHi || iHi[j]! < kiLo) continue;
      if (j !== k && ((proto[j]! ^ pk) & protoMask[j]! & mk) !== 0) continue;
      if (j !== k && ((flagValue[j]! ^ vk) & flagMask[j]! & fk) !== 0) continue;
      this.scratch[m++] = j;
    }
    const all = this.scratch.slice(0, m);
    this.spend(m);
    for (const j of all) {
      let bits = 0;
      for (let d = 0; d <= ICMP; d++) if (t.lo[d]![j]! <= t.lo[d]![k]! && t.hi[d]![j]! >= t.hi[d]![k]!) bits |= 1 << d;
      const fj = t.flagMask[j]!;
      if ((fj & ~fk) === 0 && ((t.flagValue[j]! ^ vk) & fj) === 0) bits |= 1 << FLAGS;
      this.contain[j] = bits;
    }
    this.protocols(all);
    return {
      matchable: this.matchable,
      firstSomewhere: this.firstSomewhere,
      winners: [...this.winners].sort((a, b) => a - b),
      next: [...this.next].sort((a, b) => a - b),
      nextSameAction: this.nextSameAction,
    };
  }

  /** Split by protocol: the values rule k matches, grouped by which rules match them and what they imply. */
  private protocols(all: Int32Array): void {
    const { t, k } = this;
    // Rules with the same (protocol, mask) match the same values: decide per group, not per rule.
    const groupOf = new Map<number, number>();
    const groupId = new Int32Array(all.length);
    const groups: number[] = [];
    this.spend(2 * all.length);
    for (let i = 0; i < all.length; i++) {
      const j = all[i]!;
      const key = ((t.proto[j]! & t.protoMask[j]!) << 8) | t.protoMask[j]!;
      let g = groupOf.get(key);
      if (g === undefined) {
        g = groups.length;
        groupOf.set(key, g);
        groups.push(key);
      }
      groupId[i] = g;
    }
    this.spend(256 * groups.length);
    const classes = new Map<string, number>();
    for (let p = 0; p < 256; p++) {
      if ((p & t.protoMask[k]!) !== (t.proto[k]! & t.protoMask[k]!)) continue;
      let sig = '';
      for (const key of groups) sig += (p & key & 0xff) === key >>> 8 ? '1' : '0';
      const ported = hasPorts(p);
      const icmp = (this.family === 4 && p === 1) || (this.family === 6 && p === 58);
      const tcp = p === 6;
      classes.set(`${(ported ? 4 : 0) | (icmp ? 2 : 0) | (tcp ? 1 : 0)}/${sig}`, (ported ? 4 : 0) | (icmp ? 2 : 0) | (tcp ? 1 : 0));
    }
    const alive = new Int32Array(all.length);
    for (const [key, feature] of classes) {
      const sig = key.slice(key.indexOf('/') + 1);
      const ported = (feature & 4) !== 0;
      const icmp = (feature & 2) !== 0;
      const tcp = (feature & 1) !== 0;
      this.spend(all.length);
      let m = 0;
      let hasK = false;
      for (let i = 0; i < all.length; i++) {
        const j = all[i]!;
        if (sig.charCodeAt(groupId[i]!) !== 49) continue; // '1'
        if (!ported && t.anyPorts[j] === 0) continue;
        if (!icmp && t.anyIcmp[j] === 0) continue;
        if (!tcp && t.flagMask[j] !== 0) continue;
        if (j === k) hasK = true;
        alive[m++] = j;
      }
      if (!hasK) continue; // rule k matches no packet of these protocols
      this.matchable = true;
      let active = (1 << SRC) | (1 << DST);
      if (ported) active |= (1 << SPORT) | (1 << DPORT);
      if (icmp) active |= 1 << ICMP;
      if (tcp) active |= 1 << FLAGS;
      this.visit(active, alive.slice(0, m), false);
      if (!this.wantNext && this.firstSomewhere) return; // ClassBench: nothing more to learn about rule k
    }
  }

  /** Index in L of the first rule that covers rule k's whole range in every dimension of `remaining`, or -1. */
  private firstCovering(L: Int32Array, remaining: number): number {
    for (let i = 0; i < L.length; i++) if ((remaining & ~this.contain[L[i]!]!) === 0) return i;
    return -1;
  }

  /**
   * Cells over the dimensions in `remaining` (a bit mask), for the alive rules L (sorted). Without `nextMode`: who
   * matches first (k is in L); with it: which rule after k matches (L holds only later rules), where k matched first.
   * Dimensions are cut in the cheapest order for this cell (any order gives the same cells).
   */
  private visit(remaining: number, L: Int32Array, nextMode: boolean): void {
    const { t, k } = this;
    if (!this.wantNext && this.firstSomewhere) return;
    this.spend(L.length);
    if (nextMode && L.length === 0) {
      this.nextSameAction = false; // k is the last rule to match here
      return;
    }
    const c = this.firstCovering(L, remaining);
    if (c === 0) {
      const f = L[0]!;
      if (nextMode) {
        this.next.add(f);
        if (t.allow[f] !== t.allow[k]) this.nextSameAction = false;
      } else if (f !== k) this.winners.add(f);
      else {
        this.firstSomewhere = true;
        if (this.wantNext) this.visit(remaining, L.subarray(1), true);
      }
      return;
    }
    // Rules after one that covers every remaining cell can never match first (or next) here.
    if (c > 0 && (nextMode || L[c] !== k)) L = L.subarray(0, c + 1);
    else if (c > 0) {
      const after = this.firstCovering(L.subarray(c + 1), remaining);
      if (after >= 0) L = L.subarray(0, c + after + 2);
    }
    // A dimension in which every alive rule covers rule k's range splits nothing: drop it.
    const partial = new Int32Array(DIMS);
    for (const j of L) {
      const missing = remaining & ~this.contain[j]!;
      if (missing === 0) continue;
      for (let d = 0; d < DIMS; d++) if (missing & (1 << d)) partial[d]!++;
    }
    this.spend(L.length);
    let live = 0;
    let best = -1;
    let bestCost = Infinity;
    for (let d = 0; d < DIMS; d++) {
      if ((remaining & (1 << d)) === 0 || partial[d] === 0) continue;
      live |= 1 << d;
      const cost = d === FLAGS ? 2 ** this.flagBits(L) : 2 * partial[d]! + 1;
      if (cost < bestCost) {
        bestCost = cost;
        best = d;
      }
    }
    if (!this.seen.add(L, (nextMode ? 1 << 8 : 0) | live)) return;
    if (!this.wantNext && this.gap(L, live)) {
      this.firstSomewhere = true;
      return;
    }
    const rest = live & ~(1 << best);
    for (const cell of best === FLAGS ? this.splitFlags(L) : this.splitRange(best, L)) {
      this.visit(rest, cell, nextMode);
      if (!this.wantNext && this.firstSomewhere) return;
    }
  }

  /** How many TCP flag bits the rules of L test beyond those rule k fixes. */
  private flagBits(L: Int32Array): number {
    let tested = 0;
    for (const j of L) if ((this.contain[j]! & (1 << FLAGS)) === 0) tested |= this.t.flagMask[j]!;
    let free = tested & ~this.t.flagMask[this.k]!;
    let bits = 0;
    while (free) {
      bits += free & 1;
      free >>>= 1;
    }
    return bits;
  }

  /**
   * True when, in some remaining interval dimension, part of rule k's range is covered by no earlier rule of L: in
   * this cell rule k matches first there (a sweep over sorted intervals, cheaper than cutting the cell).
   */
  private gap(L: Int32Array, remaining: number): boolean {
    const { t, k } = this;
    const before = L.indexOf(k);
    if (before <= 0) return before === 0;
    this.spend(before * 8);
    // Sorted by lo through one numeric key per rule (lo rank, then index): a typed-array sort needs no comparator.
    const keys = new Float64Array(before);
    for (let d = 0; d <= ICMP; d++) {
      if ((remaining & (1 << d)) === 0) continue;
      const lo = t.lo[d]!;
      const hi = t.hi[d]!;
      for (let i = 0; i < before; i++) keys[i] = lo[L[i]!]! * 65536 + L[i]!;
      keys.sort();
      let next = lo[k]!;
      const end = hi[k]!;
      for (let i = 0; i < before && next <= end; i++) {
        const j = keys[i]! % 65536;
        if (lo[j]! > next) return true;
        if (hi[j]! + 1 > next) next = hi[j]! + 1;
      }
      if (next <= end) return true;
    }
    return false;
  }

  /**
   * The distinct sets of rules over the elementary intervals of rule k's range in interval dimension `d`, made one
   * at a time. Without next rules to find, the intervals fewest earlier rules cover come first (the search for a
   * place where rule k matches first usually ends at the first), counted by a sweep before any set is made.
   */
  private *splitRange(d: number, L: Int32Array): Generator<Int32Array> {
    const { lo: los, hi: his } = this.t;
    const lo = los[d]!;
    const hi = his[d]!;
    const k = this.k;
    const blo = lo[k]!;
    const bhi = hi[k]!;
    const contain = this.contain;
    const bit = 1 << d;
    const raw: number[] = [blo];
    for (const j of L) {
      if (contain[j]! & bit) continue;
      if (lo[j]! > blo) raw.push(lo[j]!);
      if (hi[j]! < bhi) raw.push(hi[j]! + 1);
    }
    if (raw.length === 1) {
      yield L;
      return;
    }
    const points = Int32Array.from(raw).sort();
    this.spend(4 * points.length);
    let order: Int32Array;
    if (this.wantNext) order = points;
    else {
      // Earlier rules covering each elementary interval: those starting at or before it minus those ended before it.
      const starts: number[] = [];
      const ends: number[] = [];
      let always = 0;
      for (const j of L) {
        if (j >= k) break;
        if (contain[j]! & bit) always++;
        else {
          starts.push(Math.max(lo[j]!, blo));
          ends.push(Math.min(hi[j]!, bhi));
        }
      }
      const s = Int32Array.from(starts).sort();
      const e = Int32Array.from(ends).sort();
      const count = new Map<number, number>();
      let si = 0;
      let ei = 0;
      for (const pt of points) {
        while (si < s.length && s[si]! <= pt) si++;
        while (ei < e.length && e[ei]! < pt) ei++;
        count.set(pt, always + si - ei);
      }
      order = Int32Array.from([...count.keys()].sort((a, b) => count.get(a)! - count.get(b)! || a - b));
    }
    const distinct = new SubsetSet();
    const buf = new Int32Array(L.length);
    let prev = NaN;
    for (const pt of order) {
      if (pt === prev) continue;
      prev = pt;
      this.spend(L.length);
      let m = 0;
      for (const j of L) if (lo[j]! <= pt && pt <= hi[j]!) buf[m++] = j;
      const cell = buf.slice(0, m);
      if (distinct.add(cell, d)) yield cell;
    }
  }

  /** The distinct sets of rules over the TCP flag values rule k allows, enumerating only the bits the rules test. */
  private splitFlags(L: Int32Array): Int32Array[] {
    const t = this.t;
    const fk = t.flagMask[this.k]!;
    const vk = t.flagValue[this.k]!;
    let tested = 0;
    for (const j of L) if ((this.contain[j]! & (1 << FLAGS)) === 0) tested |= t.flagMask[j]!;
    const free = tested & ~fk;
    if (free === 0) return [L];
    const bits: number[] = [];
    for (let b = 0; b < 16; b++) if (free & (1 << b)) bits.push(1 << b);
    const combos = 1 << bits.length;
    this.spend(combos * L.length);
    const cells: Int32Array[] = [];
    const distinct = new SubsetSet();
    const buf = new Int32Array(L.length);
    for (let c = 0; c < combos; c++) {
      let v = vk;
      for (let b = 0; b < bits.length; b++) if (c & (1 << b)) v |= bits[b]!;
      let m = 0;
      for (const j of L) if ((v & t.flagMask[j]!) === t.flagValue[j]) buf[m++] = j;
      const cell = buf.slice(0, m);
      if (distinct.add(cell, FLAGS)) cells.push(cell);
    }
    return cells;
  }
}
