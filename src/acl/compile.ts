/**
 * Build step of the bit-vector classifier (DPDK rte_acl life cycle: build may allocate, classify never does).
 * Per direction and address family, a table made only of numbers and typed arrays, so it can live in
 * SharedArrayBuffers and reach worker threads through postMessage without copying. Classify is in classify.ts.
 *
 * Bit k of every rule bitmap is the k-th rule of the family in priority order. Each dimension maps a packet field
 * to a deduplicated bitmap: 65537-entry tables for ports (65536 = portless packet), ICMP type<<8|code (65536 = not
 * ICMP) and TCP flags (65536 = not TCP), a 256-entry protocol table, and sorted elementary-interval starts for
 * addresses. A dimension where every rule is a wildcard is left out. Up to 32 rules, a bitmap is one word and the
 * tables hold the word itself (no indirection); above, tables hold offsets into `pool`, where each bitmap is its
 * aggregated summary words (bit j of summary word s = word 32s+j is non-zero; Baboescu & Varghese 2001) followed by
 * its words.
 */
import { BitmapStore, clearBit, setBit } from './bitset.js';
import { isAnyPorts, PORTLESS, type Acl, type Rule } from './model.js';

/** Table implementations, picked by rule count like DPDK picks its classify functions. */
export const TableKind = { EMPTY: 0, WORD: 1, ABV: 2 } as const;

/** Bits of CompiledTable.dims: which dimensions some rule constrains. */
export const Dim = { PROTO: 1, SRC: 2, DST: 4, SPORT: 8, DPORT: 16, ICMP: 32, FLAGS: 64 } as const;

/** Size of the port, ICMP and flag tables: 65536 values plus the "field absent" slot. */
export const SLOTS = 65537;

/** IPv4 address dimensions with at least this many intervals get a 65536-entry directory on the top 16 bits. */
export const DIRECTORY_MIN_INTERVALS = 8;

/** One compiled rule list of one family; a plain object of numbers and typed arrays (structured-clone safe). */
export interface CompiledTable {
  family: number;
  kind: number;
  /** Rules of this family. */
  rules: number;
  /** Bitmap words (W) and summary words (S) per bitmap; stride = S + W (kind ABV only). */
  words: number;
  summaries: number;
  stride: number;
  dims: number;
  /** Bit index -> index of the rule in the direction's list. */
  ruleIndex: Int32Array;
  /** 256 entries, or empty when every rule takes any protocol. WORD: the bitmap; ABV: offset in pool. Same below. */
  proto: Int32Array;
  /** SLOTS entries, or empty when the dimension is left out. */
  sport: Int32Array;
  dport: Int32Array;
  icmp: Int32Array;
  flags: Int32Array;
  /** Address intervals: starts (1 word each for IPv4, 4 for IPv6, ascending, first = 0) and their bitmaps. */
  srcStarts: Uint32Array;
  srcIds: Int32Array;
  /** IPv4 only, when large: dir[h] = interval holding h<<16, dir[65536] = interval count - 1. */
  srcDir: Int32Array;
  dstStarts: Uint32Array;
  dstIds: Int32Array;
  dstDir: Int32Array;
  /** ABV bitmaps; empty for WORD tables. */
  pool: Int32Array;
  /** ABV: offset in pool of an all-ones bitmap, used for the dimensions that are left out. */
  ones: number;
}

/** Both families of one direction's rule list. */
export interface CompiledDirection {
  /** Rules in the direction's list (all families). */
  ruleCount: number;
  v4: CompiledTable;
  v6: CompiledTable;
}

/** A compiled ACL: one CompiledDirection per direction. */
export interface CompiledAcl {
  id: string;
  inbound: CompiledDirection;
  outbound: CompiledDirection;
}

export interface CompileOptions {
  /** Allocate every typed array on a SharedArrayBuffer. */
  shared?: boolean;
  /** Use the ABV implementation even for small rule sets (tests). */
  forceAbv?: boolean;
  /** Minimum interval count for an IPv4 directory; Infinity disables it (measurements). */
  directoryMinIntervals?: number;
}

interface Alloc {
  i32(n: number): Int32Array;
  u32(n: number): Uint32Array;
}

function allocator(shared: boolean): Alloc {
  if (!shared) return { i32: (n) => new Int32Array(n), u32: (n) => new Uint32Array(n) };
  return {
    i32: (n) => new Int32Array(new SharedArrayBuffer(4 * n)),
    u32: (n) => new Uint32Array(new SharedArrayBuffer(4 * n)),
  };
}

/** Compile both directions of an ACL. */
export function compileAcl(acl: Acl, opts: CompileOptions = {}): CompiledAcl {
  return { id: acl.id, inbound: compileRules(acl.inbound, opts), outbound: compileRules(acl.outbound, opts) };
}

/** Compile one direction's rule list (any mix of families, in priority order). */
export function compileRules(rules: readonly Rule[], opts: CompileOptions = {}): CompiledDirection {
  return { ruleCount: rules.length, v4: compileFamily(rules, 4, opts), v6: compileFamily(rules, 6, opts) };
}

/** Per-dimension result before layout: slot or interval -> id in the dimension's store. */
interface DimBuild {
  store: BitmapStore;
  ids: Int32Array;
  starts?: Uint32Array;
}

function compileFamily(all: readonly Rule[], family: 4 | 6, opts: CompileOptions): CompiledTable {
  const alloc = allocator(opts.shared === true);
  const rules: Rule[] = [];
  const index: number[] = [];
  all.forEach((r, i) => {
    if (r.family === family) {
      rules.push(r);
      index.push(i);
    }
  });
  const n = rules.length;
  const kind = n === 0 ? TableKind.EMPTY : n <= 32 && !opts.forceAbv ? TableKind.WORD : TableKind.ABV;
  const W = Math.max(1, Math.ceil(n / 32));
  const S = kind === TableKind.ABV ? Math.ceil(W / 32) : 0;
  const empty32 = alloc.i32(0);
  const table: CompiledTable = {
    family,
    kind,
    rules: n,
    words: W,
    summaries: S,
    stride: S + W,
    dims: 0,
    ruleIndex: alloc.i32(n),
    proto: empty32,
    sport: empty32,
    dport: empty32,
    icmp: empty32,
    flags: empty32,
    srcStarts: alloc.u32(0),
    srcIds: empty32,
    srcDir: empty32,
    dstStarts: alloc.u32(0),
    dstIds: empty32,
    dstDir: empty32,
    pool: empty32,
    ones: 0,
  };
  table.ruleIndex.set(index);
  if (kind === TableKind.EMPTY) return table;

  const built: [number, DimBuild][] = [];
  if (rules.some((r) => r.protocolMask !== 0)) {
    built.push([Dim.PROTO, maskedDimension(rules.map((r) => ({ value: r.protocol, mask: r.protocolMask & 0xff })), 256, false, W)]);
  }
  if (rules.some((r) => r.src.prefix !== 0)) built.push([Dim.SRC, addressDimension(rules.map((r) => r.src), family, W)]);
  if (rules.some((r) => r.dst.prefix !== 0)) built.push([Dim.DST, addressDimension(rules.map((r) => r.dst), family, W)]);
  const portless = rules.map((r) => isAnyPorts(r.srcPorts) && isAnyPorts(r.dstPorts));
  if (rules.some((r) => !isAnyPorts(r.srcPorts))) built.push([Dim.SPORT, portDimension(rules.map((r) => r.srcPorts), portless, W)]);
  if (rules.some((r) => !isAnyPorts(r.dstPorts))) built.push([Dim.DPORT, portDimension(rules.map((r) => r.dstPorts), portless, W)]);
  if (rules.some((r) => r.icmpType !== -1)) built.push([Dim.ICMP, icmpDimension(rules, W)]);
  if (rules.some((r) => r.tcpFlags !== null && r.tcpFlags.mask !== 0)) {
    built.push([Dim.FLAGS, maskedDimension(rules.map((r) => (r.tcpFlags && r.tcpFlags.mask !== 0 ? { value: r.tcpFlags.value & 0xffff, mask: r.tcpFlags.mask & 0xffff } : null)), 65536, true, W)]);
  }

  // Layout: WORD tables hold the bitmap word itself; ABV tables hold pool offsets.
  const base = new Map<number, number>();
  if (kind === TableKind.ABV) {
    let total = 0;
    for (const [dim, b] of built) {
      base.set(dim, total);
      total += b.store.count * (S + W);
    }
    table.ones = total;
    table.pool = alloc.i32(total + S + W);
    table.pool.fill(-1, total);
    for (const [dim, b] of built) {
      const off0 = base.get(dim)!;
      for (let id = 0; id < b.store.count; id++) {
        const bm = b.store.get(id);
        const off = off0 + id * (S + W);
        for (let w = 0; w < W; w++) {
          table.pool[off + S + w] = bm[w]! | 0;
          if (bm[w] !== 0) table.pool[off + (w >>> 5)] |= 1 << (w & 31);
        }
      }
    }
  }
  const value = (dim: number, b: DimBuild, id: number): number =>
    kind === TableKind.WORD ? b.store.get(id)[0]! | 0 : base.get(dim)! + id * (S + W);
  const toTable = (dim: number, b: DimBuild): Int32Array => {
    const t = alloc.i32(b.ids.length);
    const cache = new Int32Array(b.store.count);
    for (let id = 0; id < b.store.count; id++) cache[id] = value(dim, b, id);
    for (let s = 0; s < b.ids.length; s++) t[s] = cache[b.ids[s]!]!;
    return t;
  };
  const dirMin = opts.directoryMinIntervals ?? DIRECTORY_MIN_INTERVALS;
  for (const [dim, b] of built) {
    table.dims |= dim;
    switch (dim) {
      case Dim.PROTO:
        table.proto = toTable(dim, b);
        break;
      case Dim.SPORT:
        table.sport = toTable(dim, b);
        break;
      case Dim.DPORT:
        table.dport = toTable(dim, b);
        break;
      case Dim.ICMP:
        table.icmp = toTable(dim, b);
        break;
      case Dim.FLAGS:
        table.flags = toTable(dim, b);
        break;
      case Dim.SRC:
      case Dim.DST: {
        const starts = alloc.u32(b.starts!.length);
        starts.set(b.starts!);
        const ids = toTable(dim, b);
        const dir = family === 4 && ids.length >= dirMin ? directory(starts, alloc) : empty32;
        if (dim === Dim.SRC) {
          table.srcStarts = starts;
          table.srcIds = ids;
          table.srcDir = dir;
        } else {
          table.dstStarts = starts;
          table.dstIds = ids;
          table.dstDir = dir;
        }
        break;
      }
    }
  }
  return table;
}

/** Protocol or TCP-flag dimension: slot s matches rule k when (s & mask) === (value & mask); null = wildcard. */
function maskedDimension(specs: ({ value: number; mask: number } | null)[], size: number, absentSlot: boolean, W: number): DimBuild {
  const store = new BitmapStore(W);
  // Group rules by (value & mask, mask): a handful of groups even in 10K ClassBench sets.
  const groups = new Map<string, { value: number; mask: number; bm: Uint32Array }>();
  const wild = new Uint32Array(W);
  specs.forEach((s, k) => {
    if (s === null || s.mask === 0) {
      setBit(wild, k);
      return;
    }
    const key = `${s.value & s.mask}/${s.mask}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { value: s.value & s.mask, mask: s.mask, bm: new Uint32Array(W) }));
    setBit(g.bm, k);
  });
  const list = [...groups.values()];
  const ids = new Int32Array(size + (absentSlot ? 1 : 0));
  const bySignature = new Map<string, number>();
  const bm = new Uint32Array(W);
  for (let s = 0; s < size; s++) {
    let sig = '';
    for (let g = 0; g < list.length; g++) if ((s & list[g]!.mask) === list[g]!.value) sig += `${g},`;
    let id = bySignature.get(sig);
    if (id === undefined) {
      bm.set(wild);
      for (let g = 0; g < list.length; g++) {
        if ((s & list[g]!.mask) !== list[g]!.value) continue;
        const gb = list[g]!.bm;
        for (let w = 0; w < W; w++) bm[w] = (bm[w]! | gb[w]!) >>> 0;
      }
      id = store.intern(bm);
      bySignature.set(sig, id);
    }
    ids[s] = id;
  }
  if (absentSlot) ids[size] = store.intern(wild);
  return { store, ids };
}

/** Sweep over sorted range boundaries: each elementary interval's bitmap, interned; calls emit(start, id) per interval. */
function sweep<T extends number | bigint>(
  ranges: { lo: T; hiPlus1: T; k: number }[],
  W: number,
  store: BitmapStore,
  zero: T,
  emit: (start: T, id: number) => void,
): void {
  const events: { pos: T; k: number; add: boolean }[] = [];
  for (const r of ranges) {
    events.push({ pos: r.lo, k: r.k, add: true });
    events.push({ pos: r.hiPlus1, k: r.k, add: false });
  }
  events.sort((a, b) => (a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : 0));
  const bm = new Uint32Array(W);
  let e = 0;
  let pos: T = zero;
  let lastId = -1;
  for (;;) {
    while (e < events.length && events[e]!.pos === pos) {
      const ev = events[e++]!;
      if (ev.add) setBit(bm, ev.k);
      else clearBit(bm, ev.k);
    }
    const id = store.intern(bm);
    if (id !== lastId) emit(pos, id);
    lastId = id;
    if (e >= events.length) break;
    pos = events[e]!.pos;
  }
}

/** Source or destination port dimension: SLOTS entries, the last for portless packets. */
function portDimension(ranges: [number, number][], portless: boolean[], W: number): DimBuild {
  const store = new BitmapStore(W);
  const ids = new Int32Array(SLOTS);
  const starts: number[] = [];
  const startIds: number[] = [];
  sweep(
    ranges.map((r, k) => ({ lo: r[0], hiPlus1: r[1] + 1, k })),
    W,
    store,
    0,
    (start, id) => {
      starts.push(start);
      startIds.push(id);
    },
  );
  for (let i = 0; i < starts.length; i++) {
    const end = i + 1 < starts.length ? Math.min(starts[i + 1]!, 65536) : 65536;
    if (starts[i]! < 65536) ids.fill(startIds[i]!, starts[i]!, end);
  }
  const bm = new Uint32Array(W);
  portless.forEach((p, k) => p && setBit(bm, k));
  ids[PORTLESS] = store.intern(bm);
  return { store, ids };
}

/** ICMP dimension over type<<8|code, plus the not-ICMP slot that only wildcard rules match. */
function icmpDimension(rules: Rule[], W: number): DimBuild {
  const store = new BitmapStore(W);
  const ids = new Int32Array(SLOTS);
  const ranges = rules.map((r, k) => {
    if (r.icmpType === -1) return { lo: 0, hiPlus1: 65537, k };
    if (r.icmpCode === -1) return { lo: r.icmpType << 8, hiPlus1: (r.icmpType << 8) + 256, k };
    return { lo: (r.icmpType << 8) | r.icmpCode, hiPlus1: ((r.icmpType << 8) | r.icmpCode) + 1, k };
  });
  const starts: number[] = [];
  const startIds: number[] = [];
  sweep(ranges, W, store, 0, (start, id) => {
    starts.push(start);
    startIds.push(id);
  });
  for (let i = 0; i < starts.length; i++) {
    const end = i + 1 < starts.length ? Math.min(starts[i + 1]!, SLOTS) : SLOTS;
    if (starts[i]! < SLOTS) ids.fill(startIds[i]!, starts[i]!, end);
  }
  return { store, ids };
}

/** Address dimension: merged elementary intervals (starts as 1 or 4 words) and their bitmap ids. */
function addressDimension(cidrs: Rule['src'][], family: 4 | 6, W: number): DimBuild {
  const store = new BitmapStore(W);
  const bits = family === 4 ? 32n : 128n;
  const ranges = cidrs.map((c, k) => {
    let lo = 0n;
    const nw = family === 4 ? 1 : 4;
    for (let w = 0; w < nw; w++) lo = (lo << 32n) | BigInt(c.words[w]! >>> 0);
    const size = 1n << (bits - BigInt(c.prefix));
    return { lo, hiPlus1: lo + size, k };
  });
  const starts: bigint[] = [];
  const idList: number[] = [];
  sweep(ranges, W, store, 0n, (start, id) => {
    if (start >= 1n << bits) return;
    starts.push(start);
    idList.push(id);
  });
  const nw = family === 4 ? 1 : 4;
  const out = new Uint32Array(starts.length * nw);
  starts.forEach((s, i) => {
    for (let w = nw - 1; w >= 0; w--) {
      out[i * nw + w] = Number(s & 0xffffffffn);
      s >>= 32n;
    }
  });
  return { store, ids: Int32Array.from(idList), starts: out };
}

/** IPv4 directory: dir[h] = index of the interval holding address h<<16; dir[65536] = last interval. */
function directory(starts: Uint32Array, alloc: Alloc): Int32Array {
  const dir = alloc.i32(65537);
  let i = 0;
  for (let h = 0; h < 65536; h++) {
    const a = h * 65536;
    while (i + 1 < starts.length && starts[i + 1]! <= a) i++;
    dir[h] = i;
  }
  dir[65536] = starts.length - 1;
  return dir;
}

/** Every typed array of a table, for sizing and sharing. */
export const TABLE_ARRAYS = ['ruleIndex', 'proto', 'sport', 'dport', 'icmp', 'flags', 'srcStarts', 'srcIds', 'srcDir', 'dstStarts', 'dstIds', 'dstDir', 'pool'] as const;

/** Bytes held by the typed arrays of a compiled direction. */
export function compiledBytes(d: CompiledDirection): number {
  let n = 0;
  for (const t of [d.v4, d.v6]) for (const k of TABLE_ARRAYS) n += t[k].byteLength;
  return n;
}

function shareArray<A extends Int32Array | Uint32Array>(a: A): A {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const copy = (a instanceof Int32Array ? new Int32Array(new SharedArrayBuffer(a.byteLength)) : new Uint32Array(new SharedArrayBuffer(a.byteLength))) as A;
  copy.set(a);
  return copy;
}

/** A copy of a compiled direction whose arrays live in SharedArrayBuffers (postMessage then shares, not copies). */
export function toShared(d: CompiledDirection): CompiledDirection {
  const share = (t: CompiledTable): CompiledTable => {
    const out = { ...t };
    for (const k of TABLE_ARRAYS) (out as Record<string, unknown>)[k] = shareArray(t[k]);
    return out;
  };
  return { ruleCount: d.ruleCount, v4: share(d.v4), v6: share(d.v6) };
}

/**
 * Rebuild a compiled direction received through postMessage / structured clone, checking its shape; the arrays are
 * used as they are (shared memory stays shared). Properties are re-created in declaration order so every table has
 * one hidden class in the classify loop.
 */
export function fromShared(obj: unknown): CompiledDirection {
  const d = obj as CompiledDirection;
  if (!d || typeof d.ruleCount !== 'number') throw new TypeError('not a compiled direction');
  const table = (t: CompiledTable): CompiledTable => {
    for (const k of TABLE_ARRAYS) {
      const a = t[k] as unknown;
      if (!(a instanceof Int32Array) && !(a instanceof Uint32Array)) throw new TypeError(`compiled table field ${k} is not a typed array`);
    }
    return {
      family: t.family,
      kind: t.kind,
      rules: t.rules,
      words: t.words,
      summaries: t.summaries,
      stride: t.stride,
      dims: t.dims,
      ruleIndex: t.ruleIndex,
      proto: t.proto,
      sport: t.sport,
      dport: t.dport,
      icmp: t.icmp,
      flags: t.flags,
      srcStarts: t.srcStarts,
      srcIds: t.srcIds,
      srcDir: t.srcDir,
      dstStarts: t.dstStarts,
      dstIds: t.dstIds,
      dstDir: t.dstDir,
      pool: t.pool,
      ones: t.ones,
    };
  };
  return { ruleCount: d.ruleCount, v4: table(d.v4), v6: table(d.v6) };
}
