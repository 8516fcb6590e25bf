/**
 * Merging partials in file order into the flow table of the whole capture. Connections that span chunks are
 * stitched: a chunk's first segment of a key continues the latest connection with that key unless that one saw
 * FIN or RST and the segment opens with a bare SYN (a new connection on a reused 5-tuple); a tentative segment
 * (split by its chunk at a bare SYN it could not judge) is a new connection exactly when the connection it would
 * continue is closed. Fragments and ICMP errors are attributed here too.
 */
import { FlowTable, FlowBit, KeyBit, startsNewConnection } from '../flow/table.js';
import { KeyIndex } from '../flow/keyindex.js';
import { grown } from '../typed.js';
import { Problems } from '../capture/problems.js';
import type { PcapngSection } from '../capture/pcapng.js';
import { CaptureStats } from '../decode/stats.js';
import { TunnelSummary } from '../decode/tunnels.js';
import type { ChunkPartial, FlowColumns, ReplayColumns } from './columns.js';
import { SegmentVerdicts, FragmentVerdicts } from '../verdict/counters.js';

/** A fragment's timestamp as FlowTable.count1 takes it. */
const FRAGMENT_TS = new Float64Array(1);

/**
 * Later fragments kept waiting for a first fragment from a later chunk; beyond this the newest count as unmatched
 * (so past a million unresolved fragments at once, which ones match can depend on where chunks were cut).
 */
const MAX_PENDING_FRAGMENTS = 1 << 20;

/** Bits that describe the connection (the rest only describe a chunk's segment). */
const KEPT_BITS = FlowBit.FIRST_DIR_HI | FlowBit.SYN_SEEN | FlowBit.SYN_DIR_HI | FlowBit.SYNACK_SEEN | FlowBit.SYNACK_DIR_HI | FlowBit.ICMP_MESSAGE | FlowBit.ISN_KNOWN;

/** The merged view of a capture: its connections, counters and problems. */
export class CaptureMerge {
  /** The merged flow table; released (empty) once the connection table is built from it. */
  table: FlowTable;
  readonly stats = new CaptureStats();
  /** Tunnels of the whole capture, rows in order of first appearance. */
  readonly tunnels = new TunnelSummary();
  readonly problems = new Problems();
  stoppedEarly = false;
  /** First fragments of the whole capture: fragment key -> 2*connection + dir. */
  readonly fragHeads = new KeyIndex(64);
  unmatchedFragments = 0;
  unmatchedFragmentBytes = 0;
  unattributedIcmpErrors = 0;
  readonly interfacePackets = new Map<string, number>();
  /** pcapng sections by file offset, as the chunks saw them (a section split across chunks: the fullest view). */
  readonly sections = new Map<number, PcapngSection>();
  merged = 0;
  /** Global connection index of each segment of the last partial merged (for later attribution). */
  lastResolved: Int32Array = new Int32Array(0);
  /** Verdict counters per connection, scenario and key direction, when replaying. */
  verdicts: SegmentVerdicts | null = null;
  ruleHits: Float64Array[] = [];
  packetsNotApplicable: Float64Array = new Float64Array(0);
  /** Later fragments whose datagram's verdict stayed unknown, per scenario. */
  unknownFragments: Float64Array = new Float64Array(0);
  private fragVerdicts: FragmentVerdicts | null = null;
  /** Later fragments still waiting for their first fragment: global fragment key, wire length, timestamp. */
  private pendingKeys = new Uint32Array(0);
  private pendingLen = new Float64Array(0);
  private pendingTs = new Float64Array(0);
  private pendingCount = 0;

  /**
   * With a partition: only connections (and their fragments and ICMP errors) with an endpoint host in this
   * reducer's part are merged (src/shard/reduce.ts). `origin[g]` then says where connection g was first seen
   * (partial * 2^32 + segment), the order of the whole capture's connections.
   */
  readonly partition: { reducer: number; reducers: number } | null;
  origin: Float64Array = new Float64Array(0);

  constructor(initialCapacity = 4096, partition: { reducer: number; reducers: number } | null = null) {
    this.table = new FlowTable(initialCapacity);
    this.partition = partition;
  }

  /** The reducer of a host (an IPv4 word, or an IPv6 address id of the merge's table): hostPart of its words. */
  private hostPartOf(word: number, v6: boolean): number {
    if (!v6) return hostPart(word, 0, 0, 0, this.partition!.reducers);
    const a = this.table.addrs6.keys;
    return hostPart(a[4 * word]!, a[4 * word + 1]!, a[4 * word + 2]!, a[4 * word + 3]!, this.partition!.reducers);
  }

  /** With a partition: whether a key (words 0 and 1 the endpoints, `v6` from its flag word) is this reducer's. */
  private keeps(w0: number, w1: number, v6: boolean): boolean {
    const r = this.partition!.reducer;
    return this.hostPartOf(w0, v6) === r || this.hostPartOf(w1, v6) === r;
  }

  /** Fold the next partial (they must come in file order). */
  add(p: ChunkPartial): void {
    if (p.chunk !== this.merged) throw new Error(`partial ${p.chunk} merged out of order (expected ${this.merged})`);
    this.merged++;
    const t = this.table;
    const f = p.flows;
    // Adopting keeps the partial's keys, so its IPv6 ids must be the merge's: true while the merge has none.
    const first = t.count === 0 && t.addrs6.count === 0;
    const part = this.partition !== null;
    const takeOver = !part && first && p.own !== undefined && p.decided;
    // The capture's first chunk, run in this thread: its table (and hash index) becomes the merge's as it is.
    if (takeOver) this.takeOver(p.own!.table);
    // The partial's IPv6 ids in the merge's numbering (the same ids when the merge had none).
    const ids = this.mapAddresses(p.addrs6);
    // ICMP errors about a connection from an earlier chunk: found before this chunk's segments join the table, so
    // a reuse of the key later in this chunk cannot take them. (None before the first partial.)
    const icmpBefore = first ? null : this.findEarlierIcmp(p, ids);
    let resolved: Int32Array;
    let ownSegments = null;
    if (takeOver) {
      resolved = identity(f.count);
      ownSegments = p.own!.segments;
    } else if (first && !part) {
      resolved = new Int32Array(f.count);
      this.adoptFirst(f, resolved);
    } else {
      resolved = new Int32Array(f.count);
      // A reducer keeps a part of the segments: its table grows as it fills, not to the partial's size.
      if (!part) t.reserve(t.count + f.count);
      const keys = globalKeys(f.keys, ids, 3);
      for (let s = 0; s < f.count; s++) {
        const k = 4 * s;
        if (part && !this.keeps(keys[k]!, keys[k + 1]!, (keys[k + 3]! & KeyBit.IPV6) !== 0)) {
          resolved[s] = -1;
          continue;
        }
        const bits = f.bits[s]!;
        // Segments that may continue the latest connection with their key: a chunk's first segment, and those split
        // at a SYN the chunk could not judge. The rule is the one observeBatch applies within a chunk.
        let g = -1;
        if (bits & (FlowBit.HEAD | FlowBit.UNDECIDED)) {
          const latest = t.find(keys, k);
          if (latest >= 0 && !(bits & FlowBit.STARTS_BARE_SYN && startsNewConnection(t, latest, f.synSeq[s]!))) g = latest;
        }
        if (g < 0) {
          g = t.create(keys, k, bits & KEPT_BITS);
          if (part) {
            if (g >= this.origin.length) this.origin = grown(this.origin, Math.max(1024, Math.ceil(1.5 * this.origin.length), g + 1));
            this.origin[g] = p.chunk * 2 ** 32 + s;
          }
          t.synSeq[g] = f.synSeq[s]!;
          t.synTtl[g] = f.synTtl[s]!;
          t.synWindow[g] = f.synWindow[s]!;
          t.synOptLayout[g] = f.synOptLayout[s]!;
          t.synOptInfo[g] = f.synOptInfo[s]!;
          this.addDirections(g, f, s);
        } else this.foldInto(g, f, s);
        t.foldSessions(g, f, s);
        resolved[s] = g;
      }
    }
    this.lastResolved = resolved;
    if (p.replay) this.mergeVerdicts(p.replay, resolved, ownSegments);
    this.attributeFragments(p, ids, resolved);
    this.attributeIcmp(p, icmpBefore, resolved, ids);
    this.mergeStats(p);
  }

  /** Take a whole-history chunk's own table as the merge's: per-flow bits keep only what describes a connection. */
  private takeOver(table: FlowTable): void {
    for (let f = 0; f < table.count; f++) table.bits[f] = table.bits[f]! & KEPT_BITS;
    this.table = table;
  }

  /**
   * The first partial becomes the table without a copy: its rows stay where they are (its IPv6 ids are the merge's,
   * which had none), except segments its chunk split at a SYN it could not judge, which fold into the connection they
   * continue. (With one job a whole capture is one partial: this halves the memory of its connections.)
   */
  private adoptFirst(f: FlowColumns, resolved: Int32Array): void {
    const t = this.table;
    t.adopt(f);
    for (let s = 0; s < f.count; s++) {
      // Row s is read before any row at or after it is written (keepRow writes at count <= s).
      const bits = t.bits[s]!;
      let g = -1;
      if (bits & FlowBit.UNDECIDED) {
        const k = 4 * s;
        const latest = t.find(t.keys, k);
        if (latest >= 0 && !(bits & FlowBit.STARTS_BARE_SYN && startsNewConnection(t, latest, t.synSeq[s]!))) g = latest;
      }
      if (g < 0) resolved[s] = t.keepRow(s, bits & KEPT_BITS);
      else {
        this.foldInto(g, t, s);
        t.foldSessions(g, t, s);
        resolved[s] = g;
      }
    }
  }

  /** Add segment s's direction counters (of columns `f`) to connection g. */
  private addDirections(g: number, f: Pick<FlowColumns, 'counters' | 'dirInfo'>, s: number): void {
    for (let d = 0; d < 2; d++) {
      const c = 8 * s + 4 * d;
      this.table.addDirection(g, d, f.counters[c]!, f.counters[c + 1]!, f.counters[c + 2]!, f.counters[c + 3]!, f.dirInfo[2 * s + d]!);
    }
  }

  /** Segment s of `f` continues connection g: its handshake facts where g has none yet, and its counters. */
  private foldInto(g: number, f: Omit<FlowColumns, 'count' | 'keys'>, s: number): void {
    const t = this.table;
    const bits = f.bits[s]!;
    const gb = t.bits[g]!;
    let nb = gb;
    if (!(gb & FlowBit.ISN_KNOWN) && bits & FlowBit.ISN_KNOWN) {
      nb |= FlowBit.ISN_KNOWN;
      t.synSeq[g] = f.synSeq[s]!;
    }
    if (!(gb & FlowBit.SYN_SEEN) && bits & FlowBit.SYN_SEEN) {
      nb |= bits & (FlowBit.SYN_SEEN | FlowBit.SYN_DIR_HI);
      t.synTtl[g] = f.synTtl[s]!;
      t.synWindow[g] = f.synWindow[s]!;
      t.synOptLayout[g] = f.synOptLayout[s]!;
      t.synOptInfo[g] = f.synOptInfo[s]!;
    }
    if (!(gb & FlowBit.SYNACK_SEEN) && bits & FlowBit.SYNACK_SEEN) nb |= bits & (FlowBit.SYNACK_SEEN | FlowBit.SYNACK_DIR_HI);
    t.bits[g] = nb;
    this.addDirections(g, f, s);
  }

  /** Let the flow table go (the connection table holds what is needed); verdict counters stay. */
  releaseTable(): void {
    this.table = new FlowTable(16);
  }

  /**
   * After the last partial: later fragments whose first fragment never came are unmatched (their verdict unknown).
   * Idempotent.
   */
  finish(): void {
    for (let o = 0; o < this.pendingCount; o++) this.unmatched(this.pendingLen[o]!);
    this.pendingCount = 0;
  }

  private unmatched(len: number): void {
    this.unmatchedFragments++;
    this.unmatchedFragmentBytes += len;
    for (let s = 0; s < this.unknownFragments.length; s++) this.unknownFragments[s]!++;
  }

  /** Fold a partial's verdict counters in; `own` is the first chunk's own counters (in this thread), taken as they are. */
  private mergeVerdicts(r: ReplayColumns, resolved: Int32Array, own: SegmentVerdicts | null): void {
    const S = r.scenarios;
    if (!this.verdicts) {
      this.verdicts = own ?? new SegmentVerdicts(S, this.table.capacity);
      this.ruleHits = r.ruleHits.map((h) => new Float64Array(h.length));
      this.packetsNotApplicable = new Float64Array(S);
      this.unknownFragments = new Float64Array(S);
      this.fragVerdicts = new FragmentVerdicts(S);
    }
    const v = this.verdicts;
    v.ensure(this.table.count);
    for (let s = 0; own === null && s < resolved.length; s++) {
      const g = resolved[s]!;
      if (g < 0) continue; // another reducer's
      for (let k = 0; k < 2 * S; k++) {
        const src = s * 2 * S + k;
        const dst = g * 2 * S + k;
        v.allow[dst]! += r.allow[src]!;
        v.deny[dst]! += r.deny[src]!;
        v.notApplicable[dst]! += r.notApplicable[src]!;
        if (v.firstDeny[dst] === 0) v.firstDeny[dst] = r.firstDeny[src]!;
        if (v.firstAllow[dst] === 0) v.firstAllow[dst] = r.firstAllow[src]!;
      }
    }
    r.ruleHits.forEach((h, g) => {
      const into = this.ruleHits[g]!;
      for (let k = 0; k < h.length; k++) into[k]! += h[k]!;
    });
    for (let s = 0; s < S; s++) this.packetsNotApplicable[s]! += r.packetsNotApplicable[s]!;
  }

  private mapAddresses(addrs6: Uint32Array): Int32Array {
    const n = addrs6.length >> 2;
    const ids = new Int32Array(n);
    for (let a = 0; a < n; a++) ids[a] = this.table.addrs6.intern(addrs6[4 * a]!, addrs6[4 * a + 1]!, addrs6[4 * a + 2]!, addrs6[4 * a + 3]!);
    return ids;
  }

  /**
   * Later fragments the chunk could not attribute (no first fragment before them in the chunk) take the latest
   * first fragment with their key from an earlier chunk; failing that, the first one after them: this chunk's
   * first with the key, or a later chunk's. The same rule observeBatch applies within a chunk, so the answer never
   * depends on where chunks are cut.
   */
  private attributeFragments(p: ChunkPartial, ids: Int32Array, resolved: Int32Array): void {
    const S = p.replay ? p.replay.scenarios : 0;
    const orphans = globalKeys(p.orphanKeys, ids, 2);
    const waiting = this.pendingCount;
    this.reservePending(waiting + p.orphanLen.length);
    // This chunk's orphans against the heads of earlier chunks; the rest join those still waiting.
    let kept = waiting;
    const part = this.partition !== null;
    for (let o = 0; o < p.orphanLen.length; o++) {
      const k = 4 * o;
      if (part && !this.keeps(orphans[k]!, orphans[k + 1]!, (orphans[k + 2]! & KeyBit.IPV6) !== 0)) continue;
      const id = this.fragHeads.find(orphans[k]!, orphans[k + 1]!, orphans[k + 2]!, orphans[k + 3]!);
      if (id >= 0) {
        this.countFragment(this.fragHeads.values[id]!, p.orphanTs[o]!, p.orphanLen[o]!, id, null, 0);
        continue;
      }
      this.pendingKeys.set(orphans.subarray(k, k + 4), 4 * kept);
      this.pendingLen[kept] = p.orphanLen[o]!;
      this.pendingTs[kept] = p.orphanTs[o]!;
      kept++;
    }
    // This chunk's heads: the latest one per key for what follows, the first one for what waited.
    const heads = globalKeys(p.fragHeadKeys, ids, 2);
    const firstHere = new Map<number, number>();
    for (let h = 0; h < p.fragHeadValues.length; h++) {
      const k = 4 * h;
      const v = p.fragHeadValues[h]!;
      if (part && resolved[v >> 1]! < 0) continue; // another reducer's connection
      const id = this.fragHeads.intern(heads[k]!, heads[k + 1]!, heads[k + 2]!, heads[k + 3]!);
      this.fragHeads.values[id] = 2 * resolved[v >> 1]! + (v & 1);
      for (let s = 0; s < S; s++) this.fragVerdicts!.set(id, s, p.replay!.fragHeadVerdicts[h * S + s]!);
      firstHere.set(id, h);
    }
    if (firstHere.size === 0) {
      // Nothing here can resolve what waits; only the bound applies (the newest beyond it are unmatched).
      for (let o = MAX_PENDING_FRAGMENTS; o < kept; o++) this.unmatched(this.pendingLen[o]!);
      this.pendingCount = Math.min(kept, MAX_PENDING_FRAGMENTS);
      return;
    }
    const pk = this.pendingKeys;
    let still = 0;
    for (let o = 0; o < kept; o++) {
      const k = 4 * o;
      const id = this.fragHeads.find(pk[k]!, pk[k + 1]!, pk[k + 2]!, pk[k + 3]!);
      const h = id >= 0 ? firstHere.get(id) : undefined;
      if (h !== undefined) {
        const v = p.fragHeadFirstValues[h]!;
        this.countFragment(2 * resolved[v >> 1]! + (v & 1), this.pendingTs[o]!, this.pendingLen[o]!, -1, p, h);
        continue;
      }
      if (still >= MAX_PENDING_FRAGMENTS) {
        this.unmatched(this.pendingLen[o]!);
        continue;
      }
      if (still !== o) {
        pk.copyWithin(4 * still, k, k + 4);
        this.pendingLen[still] = this.pendingLen[o]!;
        this.pendingTs[still] = this.pendingTs[o]!;
      }
      still++;
    }
    this.pendingCount = still;
  }

  /**
   * Count a later fragment on connection-direction `v` (2*connection + dir) with its datagram's verdict: the
   * merged head `id`'s, or (id < 0) that of partial p's head h as first seen in its chunk.
   */
  private countFragment(v: number, ts: number, len: number, id: number, p: ChunkPartial | null, h: number): void {
    FRAGMENT_TS[0] = ts;
    this.table.count1(v >> 1, v & 1, FRAGMENT_TS, 0, len, 0);
    if (!this.verdicts) return;
    const S = this.verdicts.scenarios;
    for (let s = 0; s < S; s++) {
      const code = id >= 0 ? this.fragVerdicts!.get(id, s) : p!.replay!.fragHeadFirstVerdicts[h * S + s]!;
      this.verdicts.add(((v >> 1) * S + s) * 2 + (v & 1), code);
    }
  }

  private reservePending(n: number): void {
    if (n <= this.pendingLen.length) return;
    const cap = Math.max(n, 2 * this.pendingLen.length);
    this.pendingKeys = grown(this.pendingKeys, 4 * cap);
    this.pendingLen = grown(this.pendingLen, cap);
    this.pendingTs = grown(this.pendingTs, cap);
  }

  /** Connection of the table before partial p for each of p's ICMP errors about no connection of its own (-1 otherwise). */
  private findEarlierIcmp(p: ChunkPartial, ids: Int32Array): Int32Array {
    const out = new Int32Array(p.icmpFlow.length).fill(-1);
    let keys: Uint32Array | null = null;
    for (let e = 0; e < p.icmpFlow.length; e++) {
      if (p.icmpFlow[e]! >= 0) continue;
      keys ??= globalKeys(p.icmpKeys, ids, 3);
      const k = 4 * e;
      out[e] = this.table.find(keys, k);
    }
    return out;
  }

  private attributeIcmp(p: ChunkPartial, before: Int32Array | null, resolved: Int32Array, ids: Int32Array): void {
    const t = this.table;
    const keys = this.partition !== null && p.icmpFlow.length > 0 ? globalKeys(p.icmpKeys, ids, 3) : null;
    for (let e = 0; e < p.icmpTypeCode.length; e++) {
      const own = p.icmpFlow[e]!;
      // With a partition: an error about another reducer's connection is that reducer's to count.
      if (keys && !this.keeps(keys[4 * e]!, keys[4 * e + 1]!, (keys[4 * e + 3]! & KeyBit.IPV6) !== 0)) continue;
      const g = own >= 0 ? resolved[own]! : before ? before[e]! : -1;
      if (g < 0) {
        this.unattributedIcmpErrors++;
        continue;
      }
      if (t.icmpErrors[g]! < 0xffff) t.icmpErrors[g]!++;
      t.icmpErrorLast[g] = p.icmpTypeCode[e]!;
    }
  }

  private mergeStats(p: ChunkPartial): void {
    this.stats.mergeColumns(p.stats);
    this.tunnels.merge(p.tunnels);
    this.problems.merge({ counts: p.problemCounts, details: p.problemDetails });
    if (p.stoppedEarly) this.stoppedEarly = true;
    for (const sec of p.sections) {
      const had = this.sections.get(sec.offset);
      if (!had || had.interfaces.count < sec.interfaces.count) this.sections.set(sec.offset, sec);
    }
    for (const [sec, ifi, n] of p.interfacePackets) {
      const key = `${sec}:${ifi}`;
      this.interfacePackets.set(key, (this.interfacePackets.get(key) ?? 0) + n);
    }
  }
}

/** 0, 1, ..., n - 1. */
function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/**
 * A copy of a chunk's 4-word keys with IPv6 address ids (words 0 and 1) translated from the chunk's numbering to
 * the merge's; `flagWord` is the word that carries KeyBit.IPV6 (3 for connection keys, 2 for fragment keys).
 */
function globalKeys(keys: Uint32Array, ids: Int32Array, flagWord: 2 | 3): Uint32Array {
  const out = keys.slice();
  for (let k = 0; k < out.length; k += 4) {
    if ((out[k + flagWord]! & KeyBit.IPV6) === 0) continue;
    out[k] = ids[out[k]!]!;
    out[k + 1] = ids[out[k + 1]!]!;
  }
  return out;
}

/**
 * The reducer (0 .. reducers-1) of a host, from its address words (IPv4: word 0, the others 0): a murmur-style mix,
 * the same on every machine and in every process.
 */
export function hostPart(a: number, b: number, c: number, d: number, reducers: number): number {
  let h = 0x9747b28c;
  for (const w of [a, b, c, d]) {
    let k = Math.imul(w >>> 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) % reducers;
}
