/**
 * ChunkPartial: what one chunk of the capture yields, as typed-array columns (encoded by codec.ts to cross threads
 * and, later, machines). Partials merge in file order (merge.ts); chunk size and worker count never change the
 * merged answer.
 */
import type { ProblemRecord } from '../capture/problems.js';
import type { PcapngSection } from '../capture/pcapng.js';
import type { ChunkContext } from './messages.js';
import { SESSIONS_PER_FLOW, type FlowTable, type ChunkExtras } from '../flow/table.js';
import type { StatsColumns } from '../decode/stats.js';
import type { TunnelColumns } from '../decode/tunnels.js';
import type { Evaluator } from '../verdict/evaluator.js';
import type { SegmentVerdicts, FragmentVerdicts } from '../verdict/counters.js';

/** The flow table columns of a chunk, cut to its `count` rows. */
export interface FlowColumns {
  count: number;
  keys: Uint32Array;
  counters: Float64Array;
  dirInfo: Uint32Array;
  bits: Uint16Array;
  synSeq: Uint32Array;
  synTtl: Uint8Array;
  synWindow: Uint16Array;
  synOptLayout: Uint32Array;
  synOptInfo: Uint32Array;
  /** Mirror sessions (FlowTable.sessions), SESSIONS_PER_FLOW per flow; null when no packet was tunnelled. */
  sessions: Uint32Array | null;
  sessionCount: Uint8Array | null;
}

/** Everything a chunk reports. */
export interface ChunkPartial {
  chunk: number;
  stats: StatsColumns;
  /** The tunnels the chunk's packets came through (batch tunnelId values index its rows). */
  tunnels: TunnelColumns;
  problemCounts: number[];
  problemDetails: ProblemRecord[];
  stoppedEarly: boolean;
  /** pcapng: packets per (section offset, interface index). */
  interfacePackets: [number, number, number][];
  /** pcapng: the sections this chunk's reader saw (with their interfaces); the merge keeps one per offset. */
  sections: PcapngSection[];
  flows: FlowColumns;
  /** IPv6 addresses the chunk interned, 4 words per id (flow keys refer to these ids). */
  addrs6: Uint32Array;
  fragHeadKeys: Uint32Array;
  fragHeadValues: Int32Array;
  /** Per head: the chunk's first fragment with its key (fragHeadValues has the latest). */
  fragHeadFirstValues: Int32Array;
  orphanKeys: Uint32Array;
  orphanLen: Float64Array;
  orphanTs: Float64Array;
  icmpKeys: Uint32Array;
  icmpTypeCode: Uint16Array;
  /** The chunk's connection each ICMP error quotes, -1 when it started in an earlier chunk. */
  icmpFlow: Int32Array;
  replay: ReplayColumns | null;
  /** The chunk needs no merge decision: it starts the capture, so its table decided every bare SYN itself. */
  decided: boolean;
  /** File offset of the record the chunk started at (-1: no record starts in its range), and where it stopped. */
  startOffset: number;
  stopOffset: number;
  /** The reader state where the chunk stopped (the next chunk must start in the same one). */
  endContext: ChunkContext;
  /** pcapng: a Simple Packet Block took the timestamp the chunk started with (so that one must be right too). */
  inheritedTimestamp: boolean;
  /**
   * The earlier chunk start the warm-up walked back from, as this chunk's worker found it (offsets plan only; null
   * when there was no warm-up or it started from a proven boundary): the pass checks it like a chunk start, in
   * the chunk's starting reader state (`inherited`: a leading SPB took its timestamp).
   */
  warmAnchor: { chunk: number; offset: number; inherited: boolean } | null;
  /** In this thread only (never encoded): the chunk's own table and verdict counters, which the merge may take over. */
  own?: { table: FlowTable; segments: SegmentVerdicts | null };
}

/** A chunk's verdict counters (see verdicts.ts), cut to its segments and fragment heads. */
export interface ReplayColumns {
  scenarios: number;
  allow: Uint32Array;
  deny: Uint32Array;
  notApplicable: Uint32Array;
  firstDeny: Int32Array;
  firstAllow: Int32Array;
  ruleHits: Float64Array[];
  packetsNotApplicable: Float64Array;
  fragHeadVerdicts: Int32Array;
  fragHeadFirstVerdicts: Int32Array;
}

export function replayColumns(ev: Evaluator, segs: SegmentVerdicts, frags: FragmentVerdicts, flows: number, fragHeads: number, copy: boolean): ReplayColumns {
  const S = ev.scenarios;
  const n = flows * S * 2;
  const cut = <T extends Uint32Array | Int32Array>(a: T, len: number): T => (copy ? a.slice(0, len) : a.subarray(0, len)) as T;
  return {
    scenarios: S,
    allow: cut(segs.allow, n),
    deny: cut(segs.deny, n),
    notApplicable: cut(segs.notApplicable, n),
    firstDeny: cut(segs.firstDeny, n),
    firstAllow: cut(segs.firstAllow, n),
    // The evaluator's counters are reset for the next chunk: always copies.
    ruleHits: ev.ruleHits.map((h) => h.slice()),
    packetsNotApplicable: ev.notApplicable.slice(),
    fragHeadVerdicts: cut(frags.codes, fragHeads * S),
    fragHeadFirstVerdicts: cut(frags.firstCodes, fragHeads * S),
  };
}

/**
 * The first `count` rows of the table's columns: views when the partial stays in this thread, copies when it is
 * encoded (so the encoding does not carry the spare capacity).
 */
export function flowColumns(t: FlowTable, copy: boolean): FlowColumns {
  const n = t.count;
  const cut = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, per: number): T => (copy ? a.slice(0, per * n) : a.subarray(0, per * n)) as T;
  return {
    count: n,
    keys: cut(t.keys, 4),
    counters: cut(t.counters, 8),
    dirInfo: cut(t.dirInfo, 2),
    bits: cut(t.bits, 1),
    synSeq: cut(t.synSeq, 1),
    synTtl: cut(t.synTtl, 1),
    synWindow: cut(t.synWindow, 1),
    synOptLayout: cut(t.synOptLayout, 1),
    synOptInfo: cut(t.synOptInfo, 1),
    sessions: t.sessions ? cut(t.sessions, SESSIONS_PER_FLOW) : null,
    sessionCount: t.sessionCount ? cut(t.sessionCount, 1) : null,
  };
}

/** Cut the chunk's extras to their used length (views or copies, as flowColumns). */
export function extrasColumns(e: ChunkExtras, copy: boolean): Pick<ChunkPartial, 'fragHeadKeys' | 'fragHeadValues' | 'fragHeadFirstValues' | 'orphanKeys' | 'orphanLen' | 'orphanTs' | 'icmpKeys' | 'icmpTypeCode' | 'icmpFlow'> {
  const h = e.fragHeads;
  const cut = <T extends Uint16Array | Uint32Array | Int32Array | Float64Array>(a: T, len: number): T => (copy ? a.slice(0, len) : a.subarray(0, len)) as T;
  return {
    fragHeadKeys: cut(h.keys, 4 * h.count),
    fragHeadValues: cut(h.values, h.count),
    fragHeadFirstValues: cut(e.fragHeadFirst, h.count),
    orphanKeys: cut(e.orphanKeys, 4 * e.orphans),
    orphanLen: cut(e.orphanLen, e.orphans),
    orphanTs: cut(e.orphanTs, e.orphans),
    icmpKeys: cut(e.icmpKeys, 4 * e.icmps),
    icmpTypeCode: cut(e.icmpTypeCode, e.icmps),
    icmpFlow: cut(e.icmpFlow, e.icmps),
  };
}
