/**
 * Partial: what one chunk of the capture yields, as typed-array columns, encoded with msgpackr to cross threads
 * (and, later, machines). Partials merge in file order (merge.ts); chunk size and worker count never change the
 * merged answer.
 */
import { createRequire } from 'node:module';
import type { Packr } from 'msgpackr';
import { AclReplayError } from '../errors.js';
import type { ProblemRecord } from '../capture/problems.js';
import type { PcapngSection } from '../capture/pcapng.js';
import type { FlowTable, ChunkExtras } from '../flow/table.js';
import type { StatsColumns } from '../decode/stats.js';
import type { TunnelColumns } from '../decode/tunnels.js';
import type { Evaluator, SegmentVerdicts, FragmentVerdicts } from './verdicts.js';

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
}

/** Everything a chunk reports. */
export interface Partial {
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

export function replayColumns(ev: Evaluator, segs: SegmentVerdicts, frags: FragmentVerdicts, flows: number, fragHeads: number): ReplayColumns {
  const S = ev.scenarios;
  const n = flows * S * 2;
  return {
    scenarios: S,
    allow: segs.allow.slice(0, n),
    deny: segs.deny.slice(0, n),
    notApplicable: segs.notApplicable.slice(0, n),
    firstDeny: segs.firstDeny.slice(0, n),
    firstAllow: segs.firstAllow.slice(0, n),
    ruleHits: ev.ruleHits.map((h) => h.slice()),
    packetsNotApplicable: ev.notApplicable.slice(),
    fragHeadVerdicts: frags.codes.slice(0, fragHeads * S),
    fragHeadFirstVerdicts: frags.firstCodes.slice(0, fragHeads * S),
  };
}

/** Copy the first `n` rows of the table's columns (copies so the encoding does not carry the spare capacity). */
export function flowColumns(t: FlowTable): FlowColumns {
  const n = t.count;
  return {
    count: n,
    keys: t.keys.slice(0, 4 * n),
    counters: t.counters.slice(0, 8 * n),
    dirInfo: t.dirInfo.slice(0, 2 * n),
    bits: t.bits.slice(0, n),
    synSeq: t.synSeq.slice(0, n),
    synTtl: t.synTtl.slice(0, n),
    synWindow: t.synWindow.slice(0, n),
    synOptLayout: t.synOptLayout.slice(0, n),
    synOptInfo: t.synOptInfo.slice(0, n),
  };
}

/** Cut the chunk's extras to their used length. */
export function extrasColumns(e: ChunkExtras): Pick<Partial, 'fragHeadKeys' | 'fragHeadValues' | 'fragHeadFirstValues' | 'orphanKeys' | 'orphanLen' | 'orphanTs' | 'icmpKeys' | 'icmpTypeCode' | 'icmpFlow'> {
  const h = e.fragHeads;
  return {
    fragHeadKeys: h.keys.slice(0, 4 * h.count),
    fragHeadValues: h.values.slice(0, h.count),
    fragHeadFirstValues: e.fragHeadFirst.slice(0, h.count),
    orphanKeys: e.orphanKeys.slice(0, 4 * e.orphans),
    orphanLen: e.orphanLen.slice(0, e.orphans),
    orphanTs: e.orphanTs.slice(0, e.orphans),
    icmpKeys: e.icmpKeys.slice(0, 4 * e.icmps),
    icmpTypeCode: e.icmpTypeCode.slice(0, e.icmps),
    icmpFlow: e.icmpFlow.slice(0, e.icmps),
  };
}

/** msgpackr, loaded on first use: only partials that cross threads are encoded. */
let packrInstance: Packr | null = null;
function packr(): Packr {
  if (!packrInstance) {
    const { Packr: P } = createRequire(import.meta.url)('msgpackr') as typeof import('msgpackr');
    packrInstance = new P({ moreTypes: true, useRecords: false });
  }
  return packrInstance;
}

/** msgpackr encoding of a partial (typed arrays as binary extensions). */
export function encodePartial(p: Partial): Uint8Array {
  return packr().pack(p);
}

/** A worker's answer when its chunk failed with one of our errors. */
export function encodeFailure(e: AclReplayError): Uint8Array {
  return packr().pack({ failure: { code: e.code, exitCode: e.exitCode, message: e.message } });
}

/** The partial, or the worker's error thrown again on this side. */
export function decodePartial(bytes: Uint8Array): Partial {
  const v = packr().unpack(bytes) as Partial | { failure: { code: string; exitCode: number; message: string } };
  if ('failure' in v) throw new AclReplayError(v.failure.code, v.failure.exitCode, v.failure.message);
  return v;
}
