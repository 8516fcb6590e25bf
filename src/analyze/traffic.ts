/**
 * Reading traffic into a connection table: the one seam every traffic source goes through. A source takes the
 * inputs and yields the same TrafficAnalysis: its summary, the connection table, what it could not place and, when
 * the caller replays, the verdict counts under the spec it asked for. The spec is asked for through a callback, when
 * the source is ready to judge, with what the source knows by then (TrafficHints): a capture asks before its pass
 * (packets are judged as they are decoded), flow logs after folding (each logged side is judged once, weighted by its
 * packets), so subnets can come from the records' subnet-id. A later source (shards) adds an entry to SOURCES.
 */
import { runPass, type PassRunner } from '../pass/engine.js';
import { describeCapture, type CaptureSummary } from '../pass/summary.js';
import { trafficKind, type TrafficKind } from '../capture/open.js';
import { fromFlowTable, type ConnectionTable } from '../flow/connections.js';
import { sessionNames } from '../decode/tunnels.js';
import type { DecodeOptionsInput } from '../decode/options.js';
import type { DuplicateFilterOptions } from '../decode/duplicates.js';
import type { ReplaySpec } from '../verdict/spec.js';
import type { PassVerdicts } from '../verdict/counters.js';
import type { FlowLogSourceOptions, FlowLogSummary, FlowLogTraffic } from '../flowlogs/source.js';
import { UsageError } from '../errors.js';

export type { TrafficKind };
/** A source's summary: `info`'s object. Both have file, packets, firstTs, lastTs, duration, incomplete, problems. */
export type TrafficSummary = CaptureSummary | FlowLogSummary;

/** Connections' packets the source could not place (captures: later fragments, stray ICMP errors). */
export interface Unplaced {
  unmatchedFragments: number;
  unattributedIcmpErrors: number;
}

/** What a source knows when it asks for the spec. */
export interface TrafficHints {
  kind: TrafficKind;
  /** subnet-id values the records carry, in first-seen order (flow logs with subnet-id; empty otherwise). */
  subnetIds: readonly string[];
}

/** How to read: worker threads and chunks (captures), the aggregation interval (flow logs), the replay's spec. */
export interface ReadTrafficOptions {
  /** Worker threads for a capture pass. */
  jobs?: number;
  chunkBytes?: number;
  onProgress?: (done: number, total: number) => void;
  /** Captures: tunnels and mirrors (--decap, --vxlan-port) and the duplicate filter (null: --keep-duplicates). */
  decode?: DecodeOptionsInput;
  dedupe?: DuplicateFilterOptions | null;
  /** Flow logs: the maximum aggregation interval in seconds (default 600). */
  flowLogInterval?: number;
  /** Replay: called once by the source with its hints; the spec every packet or record is judged against. */
  replay?: (hints: TrafficHints) => ReplaySpec;
  /** Read another way with the same result (shard partials merged, src/shard/). */
  via?: TrafficVia;
}

/** How the sources read when the work was done elsewhere: a capture's pass, flow logs' reading. */
export interface TrafficVia {
  pass?: PassRunner;
  /** Flow logs read elsewhere (shards): the same FlowLogTraffic readFlowLogTraffic gives. */
  flowLogs?: (inputs: readonly string[], opts: FlowLogSourceOptions) => Promise<FlowLogTraffic>;
}

/** What reading traffic yields, whatever the source. */
export interface TrafficAnalysis {
  kind: TrafficKind;
  inputs: string[];
  summary: TrafficSummary;
  connections: ConnectionTable;
  unplaced: Unplaced;
  /** With ReadTrafficOptions.replay: the spec it returned and the counts under it. */
  replay: { spec: ReplaySpec; counts: PassVerdicts } | null;
}

type Source = (inputs: string[], opts: ReadTrafficOptions) => Promise<TrafficAnalysis>;

const SOURCES: Record<TrafficKind, Source> = {
  capture: readCapture,
  'flow-logs': readFlowLogs,
};

/**
 * The kind of the traffic arguments: every path sniffed from its content. Flow-log files and directories may be
 * many (merged in the order given, directories in path order); a capture is one file: several captures, or captures
 * and flow logs together, are a usage error (merge captures first, e.g. with mergecap).
 */
export function trafficKindOf(inputs: readonly string[]): TrafficKind {
  if (inputs.length === 0) throw new UsageError('no traffic given: name a capture, or flow-log files and directories');
  const kinds = inputs.map(trafficKind);
  const captures = inputs.filter((_, i) => kinds[i] === 'capture');
  if (captures.length === 0) return 'flow-logs';
  if (captures.length < inputs.length) {
    const logs = inputs.filter((_, i) => kinds[i] === 'flow-logs');
    throw new UsageError(`${captures[0]} is a capture and ${logs[0]} holds flow logs: give either one capture or flow logs, not both`);
  }
  if (captures.length > 1) throw new UsageError(`${captures.length} captures given (${captures.slice(0, 3).join(', ')}${captures.length > 3 ? ', ...' : ''}): aclreplay reads one capture at a time; merge them first (mergecap -w merged.pcapng ...)`);
  return 'capture';
}

/** Read the traffic into its connection table (and verdict counts when replaying). */
export async function readTraffic(inputs: readonly string[], opts: ReadTrafficOptions = {}): Promise<TrafficAnalysis> {
  const list = [...inputs];
  return SOURCES[trafficKindOf(list)](list, opts);
}

async function readCapture(inputs: string[], opts: ReadTrafficOptions): Promise<TrafficAnalysis> {
  const spec = opts.replay ? opts.replay({ kind: 'capture', subnetIds: [] }) : null;
  const pass = await runPass(inputs[0]!, { jobs: opts.jobs, chunkBytes: opts.chunkBytes, onProgress: opts.onProgress, flows: true, replay: spec, decode: opts.decode, dedupe: opts.dedupe, runner: opts.via?.pass });
  const merge = pass.merge;
  const connections = fromFlowTable(merge.table, sessionNames(merge.tunnels));
  merge.releaseTable();
  return {
    kind: 'capture',
    inputs,
    summary: describeCapture(pass),
    connections,
    unplaced: { unmatchedFragments: merge.unmatchedFragments, unattributedIcmpErrors: merge.unattributedIcmpErrors },
    replay: spec ? { spec, counts: merge } : null,
  };
}

async function readFlowLogs(inputs: string[], opts: ReadTrafficOptions): Promise<TrafficAnalysis> {
  // Loaded on use: capture commands never load the flow-log reader (or hyparquet).
  const [{ readFlowLogTraffic }, { judgeLoggedTraffic }] = await Promise.all([import('../flowlogs/source.js'), import('../flowlogs/judge.js')]);
  const { summary, connections } = await (opts.via?.flowLogs ?? readFlowLogTraffic)(inputs, { intervalSeconds: opts.flowLogInterval });
  let replay: TrafficAnalysis['replay'] = null;
  if (opts.replay) {
    const logs = connections.logs!;
    const seen = new Uint8Array(logs.subnets.length);
    const subnetIds: string[] = [];
    for (let i = 0; i < connections.count; i++) {
      const s = logs.subnet[i]!;
      if (s >= 0 && !seen[s]) {
        seen[s] = 1;
        subnetIds.push(logs.subnets[s]!);
      }
    }
    const spec = opts.replay({ kind: 'flow-logs', subnetIds });
    replay = { spec, counts: judgeLoggedTraffic(spec, connections) };
  }
  return { kind: 'flow-logs', inputs, summary, connections, unplaced: { unmatchedFragments: 0, unattributedIcmpErrors: 0 }, replay };
}
