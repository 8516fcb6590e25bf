/**
 * The flow-log traffic source: files and directories read in one streaming pass, each batch folded into connections
 * as it arrives (memory: one batch plus the connections; a week of logs repeats the same 5-tuples), then the
 * connection table every command reports from and the `info` summary (files, records, time span, coverage gaps,
 * problems by file and line).
 */
import { FlowLogReader } from './reader.js';
import { FlowLogConnections, foldRecords } from './connections.js';
import { fromFlowLogConnections } from './table.js';
import { LogStatus, Action } from './fields.js';
import type { FlowLogBatch } from './batch.js';
import type { FlowLogFileInfo } from './reader.js';
import type { CoverageGap, CoverageGaps } from './gaps.js';
import { Problem, type Problems, type ProblemRecord } from '../capture/problems.js';
import type { StringTable } from './strings.js';
import type { ConnectionTable } from '../flow/connections.js';

/** How the flow-log source reads. */
export interface FlowLogSourceOptions {
  /** The flow log's maximum aggregation interval in seconds (default 600, AWS's default; 60 on Nitro). */
  intervalSeconds?: number;
}

/** A coverage gap as `info` reports it. */
export interface CoverageGapRecord extends Omit<CoverageGap, 'interfaceId'> {
  /** Seconds the gap covers. */
  duration: number;
  note: string;
}

/** The `info -F json` object for flow logs; field names are part of the CLI contract. */
export interface FlowLogSummary {
  /** The inputs as named, joined with ", " (the field every report prints as the traffic's name). */
  file: string;
  format: 'vpc-flow-logs';
  inputs: string[];
  /** Every file read, in reading order: its format (text-header, text-v2, parquet), compression, lines, records. */
  files: FlowLogFileInfo[];
  /** Files found in directories that are not flow logs (skipped). */
  skipped: { file: string; reason: string }[];
  records: number;
  recordsByStatus: { ok: number; nodata: number; skipdata: number; unset: number };
  recordsByAction: { accept: number; reject: number; unset: number };
  /** Packets and bytes of the OK records. */
  packets: number;
  bytes: number;
  connections: number;
  interfaces: { interface: string; records: number; connections: number; packets: number; rejectRecords: number }[];
  /** Earliest start and latest end of the OK records (Unix seconds). */
  firstTs: number | null;
  lastTs: number | null;
  duration: number;
  coverageGaps: CoverageGapRecord[];
  /** Set when there are SKIPDATA gaps: what they mean for every count here. */
  skipdataNote: string | null;
  /** Records that are not OK (NODATA, SKIPDATA) or carry no addresses: not folded into connections. */
  unfoldedRecords: number;
  /** True when a file could not be read to its end (a bad compressed stream): everything before is included. */
  incomplete: boolean;
  problems: ProblemRecord[];
  problemTotals: Record<string, number>;
}

/** What the flow-log source yields. */
export interface FlowLogTraffic {
  summary: FlowLogSummary;
  connections: ConnectionTable;
}

/** Read the flow-log inputs (files and directories) into a connection table and a summary. */
export async function readFlowLogTraffic(inputs: readonly string[], opts: FlowLogSourceOptions = {}): Promise<FlowLogTraffic> {
  const reader = new FlowLogReader();
  const fold = new FlowLogFold(opts);
  await reader.read(inputs, (batch: FlowLogBatch) => fold.add(batch));
  return fold.finish(inputs, reader);
}

/** What a summary needs of the reading, besides the records: a FlowLogReader, or the shards' readings merged. */
export interface FlowLogReading {
  readonly files: readonly FlowLogFileInfo[];
  readonly skipped: readonly { file: string; reason: string }[];
  readonly problems: Problems;
  readonly gaps: CoverageGaps;
  readonly interfaces: StringTable;
  readonly subnets: StringTable;
  readonly records: number;
}

/** Records folded into connections as they come, with the counts the summary reports. */
export class FlowLogFold {
  readonly folded: FlowLogConnections;
  private readonly status = new Float64Array(4);
  private readonly action = new Float64Array(3);

  constructor(opts: FlowLogSourceOptions = {}) {
    this.folded = new FlowLogConnections({ intervalSeconds: opts.intervalSeconds });
  }

  add(batch: FlowLogBatch): void {
    for (let i = 0; i < batch.length; i++) {
      this.status[batch.logStatus[i]!]!++;
      this.action[batch.action[i]!]!++;
    }
    foldRecords(batch, this.folded);
  }

  /** The connection table and summary once every record was added. */
  finish(inputs: readonly string[], reading: FlowLogReading): FlowLogTraffic {
    const connections = fromFlowLogConnections(this.folded, { interfaces: reading.interfaces.all(), subnets: reading.subnets.all(), files: reading.files.map((f) => f.file) });
    return { connections, summary: describeFlowLogs(inputs, reading, connections, this.folded.skippedRecords, this.status, this.action) };
  }
}

function describeFlowLogs(inputs: readonly string[], reader: FlowLogReading, ct: ConnectionTable, unfolded: number, status: Float64Array, action: Float64Array): FlowLogSummary {
  const logs = ct.logs!;
  const perIface = new Map<number, { records: number; connections: number; packets: number; rejectRecords: number }>();
  let packets = 0;
  let bytes = 0;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < ct.count; i++) {
    const f = logs.iface[i]!;
    let e = perIface.get(f);
    if (!e) perIface.set(f, (e = { records: 0, connections: 0, packets: 0, rejectRecords: 0 }));
    e.connections++;
    e.records += logs.records[2 * i]! + logs.records[2 * i + 1]!;
    e.rejectRecords += logs.rejectRecords[2 * i]! + logs.rejectRecords[2 * i + 1]!;
    const p = ct.clientPackets[i]! + ct.serverPackets[i]!;
    e.packets += p;
    packets += p;
    bytes += ct.clientBytes[i]! + ct.serverBytes[i]!;
    if (ct.firstTs[i]! < first) first = ct.firstTs[i]!;
    if (ct.lastTs[i]! > last) last = ct.lastTs[i]!;
  }
  const gaps: CoverageGapRecord[] = reader.gaps.list((id) => reader.interfaces.name(id)).map(({ interfaceId: _id, ...g }) => ({
    ...g,
    duration: g.end - g.start,
    note:
      g.status === 'SKIPDATA'
        ? `records were skipped on ${g.interface} from ${iso(g.start)} to ${iso(g.end)}: any number of flows may be missing there, so counts for that time are a lower bound`
        : `no traffic to or from ${g.interface} from ${iso(g.start)} to ${iso(g.end)}`,
  }));
  const skips = gaps.filter((g) => g.status === 'SKIPDATA');
  const problems = reader.problems;
  const hasTime = ct.count > 0;
  return {
    file: inputs.join(', '),
    format: 'vpc-flow-logs',
    inputs: [...inputs],
    files: reader.files.map((f) => ({ ...f })),
    skipped: reader.skipped.slice(),
    records: reader.records,
    recordsByStatus: { ok: status[LogStatus.OK]!, nodata: status[LogStatus.NODATA]!, skipdata: status[LogStatus.SKIPDATA]!, unset: status[LogStatus.UNSET]! },
    recordsByAction: { accept: action[Action.ACCEPT]!, reject: action[Action.REJECT]!, unset: action[Action.UNSET]! },
    packets,
    bytes,
    connections: ct.count,
    interfaces: [...perIface].map(([id, e]) => ({ interface: logs.interfaces[id] ?? '-', ...e })).sort((a, b) => (a.interface < b.interface ? -1 : a.interface > b.interface ? 1 : 0)),
    firstTs: hasTime ? first : null,
    lastTs: hasTime ? last : null,
    duration: hasTime ? last - first : 0,
    coverageGaps: gaps,
    skipdataNote: skips.length
      ? `${skips.length} SKIPDATA gap${skips.length === 1 ? '' : 's'} (${skips.map((g) => g.interface).filter((v, k, a) => a.indexOf(v) === k).join(', ')}): "a single skipped record can represent multiple flows that were not captured" (AWS, flow log record examples); the connections, packets and verdicts reported for those intervals are a lower bound, not a count`
      : null,
    unfoldedRecords: unfolded,
    incomplete: problems.counts[Problem['bad-compressed-stream']]! > 0,
    problems: problems.details.slice(),
    problemTotals: problems.totals(),
  };
}

function iso(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}
