/**
 * Shards of VPC flow logs. A shard is a run of whole files in reading order, or a byte range of one large plain-text
 * file cut on lines (a newline is a true boundary in text: the range holds the lines that start in it). A worker
 * parses its shard into record columns; the merge folds every shard's records in order into one FlowLogFold, as the
 * single reader does, so connections that span shards (the same 5-tuple in several files, across aggregation
 * intervals) are folded exactly as one process folds them. Gzip and Parquet files are not split.
 *
 * Line numbers in a range count from the range's first line; the merge adds the lines of the file's earlier
 * ranges, in records and in problem messages alike.
 */
import { resolve } from 'node:path';
import { FlowLogBatch } from '../flowlogs/batch.js';
import { FlowLogReader, sniffFlowLogInputs, type FlowLogFileInfo, type SniffedFlowLog } from '../flowlogs/reader.js';
import { sniffFlowLog, FLOWLOG_SNIFF_BYTES } from '../flowlogs/sniff.js';
import { StringTable } from '../flowlogs/strings.js';
import { CoverageGaps } from '../flowlogs/gaps.js';
import { LogStatus } from '../flowlogs/fields.js';
import { FlowLogFold, type FlowLogReading, type FlowLogSourceOptions, type FlowLogTraffic } from '../flowlogs/source.js';
import { Problems, type ProblemRecord } from '../capture/problems.js';
import { packValue, unpackValue } from '../pass/codec.js';
import { grown, type Column } from '../typed.js';
import { ShardError, UsageError } from '../errors.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { inputFingerprint } from './fingerprint.js';
import type { PlannedInput, PlannedShard, ShardPlan } from './manifest.js';
import { MAX_SHARDS, type ShardSize } from './cut.js';
import { framePartial } from './partial-file.js';
import { FLOWLOG_PARTIAL_VERSION } from './commands.js';

export { FLOWLOG_PARTIAL_VERSION };

/** The record columns a partial carries: FlowLogBatch's, `width` words per row. */
const COLUMNS = [
  ['version', 1],
  ['family', 1],
  ['src', 4],
  ['dst', 4],
  ['srcPort', 1],
  ['dstPort', 1],
  ['proto', 1],
  ['packets', 1],
  ['bytes', 1],
  ['start', 1],
  ['end', 1],
  ['action', 1],
  ['logStatus', 1],
  ['interfaceId', 1],
  ['subnetId', 1],
  ['tcpFlags', 1],
  ['flowDirection', 1],
  ['trafficPath', 1],
  ['pktSrc', 4],
  ['pktDst', 4],
  ['present', 1],
  ['fileIndex', 1],
  ['line', 1],
] as const satisfies readonly (readonly [keyof FlowLogBatch, number])[];

type ColumnName = (typeof COLUMNS)[number][0];

/** A worker's flow-log shard: its records as columns, the strings their ids index, per-file facts and problems. */
export interface FlowLogPartial {
  shard: number;
  rows: number;
  columns: Record<ColumnName, Column>;
  interfaces: string[];
  subnets: string[];
  /** Per file read, in order (fileIndex indexes this). */
  files: FlowLogFileInfo[];
  problems: { counts: number[]; details: ProblemRecord[] };
  /** A range of a file: where its first line started and where reading stopped. */
  range: { start: number; stop: number } | null;
}

// ---- planning ---------------------------------------------------------------------------------------------------

/**
 * Shards of flow-log inputs: whole files gathered in reading order up to about `size` bytes a shard; a plain-text
 * file larger than that is cut into ranges of that size. Returns the files (the plan's inputs, reading order), the
 * shards, the files skipped in directories, and the bytes per shard.
 */
export function cutFlowLogs(traffic: readonly string[], size: ShardSize): { inputs: PlannedInput[]; shards: PlannedShard[]; skipped: { file: string; reason: string }[]; shardBytes: number } {
  const { files, skipped } = sniffFlowLogInputs(traffic);
  const inputs: PlannedInput[] = files.map(({ file, sniff }) => {
    const { size: bytes, fingerprint } = inputFingerprint(file);
    return { name: file, size: bytes, fingerprint, format: `${sniff.format}${sniff.compression ? '+gzip' : ''}` };
  });
  const total = inputs.reduce((n, f) => n + f.size, 0);
  const bytes = size.shardBytes ?? Math.max(1, Math.ceil(total / (size.shards ?? 1)));
  const shards: PlannedShard[] = [];
  let group: number[] = [];
  let groupBytes = 0;
  const close = () => {
    if (group.length === 0) return;
    shards.push({ shard: shards.length, input: group[0]!, files: group, cut: 0, start: 0, stopAt: null, boundary: { method: 'whole-file', detail: `${group.length} whole file${group.length === 1 ? '' : 's'}, ${groupBytes} bytes` } });
    group = [];
    groupBytes = 0;
  };
  files.forEach(({ sniff }, i) => {
    const f = inputs[i]!;
    const splittable = sniff.format !== 'parquet' && sniff.compression === null;
    if (splittable && f.size > bytes) {
      close();
      for (let cut = 0; cut < f.size; cut += bytes) {
        const stopAt = cut + bytes < f.size ? cut + bytes : null;
        shards.push({ shard: shards.length, input: i, cut, start: cut, stopAt, boundary: { method: 'line', detail: cut === 0 ? 'the start of the file' : 'the first line that starts at or after the cut (after a newline): exact in text' } });
      }
      return;
    }
    if (groupBytes > 0 && groupBytes + f.size > bytes) close();
    group.push(i);
    groupBytes += f.size;
  });
  close();
  if (shards.length > MAX_SHARDS) throw new UsageError(`${shards.length} shards of ${bytes} bytes is more than ${MAX_SHARDS}: give a larger --shard-bytes`);
  return { inputs, shards, skipped, shardBytes: bytes };
}

// ---- working ----------------------------------------------------------------------------------------------------

function sniffFile(file: string): SniffedFlowLog {
  let fd: number;
  const head = new Uint8Array(FLOWLOG_SNIFF_BYTES);
  let n = 0;
  try {
    fd = openSync(file, 'r');
    try {
      n = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    throw new ShardError(file, 'cannot be read here');
  }
  const sniff = sniffFlowLog(head.subarray(0, n), n < head.length);
  if (!sniff) throw new ShardError(file, 'is no longer a flow-log file');
  return { file, sniff };
}

/** Growing record columns, appended batch by batch. */
class RecordColumns {
  rows = 0;
  columns = {} as Record<ColumnName, Column>;
  constructor() {
    const b = new FlowLogBatch(1);
    for (const [name, width] of COLUMNS) this.columns[name] = new ((b[name] as Column).constructor as new (n: number) => Column)(1024 * width);
  }
  append(batch: FlowLogBatch): void {
    const n = batch.length;
    for (const [name, width] of COLUMNS) {
      let c = this.columns[name];
      if ((this.rows + n) * width > c.length) c = this.columns[name] = grown(c, Math.max(2 * c.length, (this.rows + n) * width));
      c.set((batch[name] as Column).subarray(0, n * width), this.rows * width);
    }
    this.rows += n;
  }
  trimmed(): Record<ColumnName, Column> {
    const out = {} as Record<ColumnName, Column>;
    for (const [name, width] of COLUMNS) out[name] = this.columns[name].slice(0, this.rows * width) as Column;
    return out;
  }
}

/** Refuse files that are not what the plan was made on. */
function checkFiles(plan: ShardPlan, planFile: string, indexes: number[], root: string): void {
  for (const i of indexes) {
    const want = plan.inputs[i]!;
    const got = inputFingerprint(root ? resolve(root, want.name) : want.name);
    if (got.size !== want.size || got.fingerprint !== want.fingerprint) throw new ShardError(planFile, `${want.name} changed since the plan was made (${got.size === want.size ? 'same size, different content' : `${got.size} bytes, the plan has ${want.size}`}): make the plan again`);
  }
}

/** Work on shard `k` of a flow-log plan: its partial, framed. `root` (a queue worker's) resolves relative names. */
export async function runFlowLogShard(plan: ShardPlan, planFile: string, k: number, root = ''): Promise<Buffer[]> {
  if (!Number.isInteger(k) || k < 0 || k >= plan.shards.length) throw new UsageError(`--shard ${k}: the plan has shards 0 to ${plan.shards.length - 1}`);
  const s = plan.shards[k]!;
  const indexes = s.files ?? [s.input];
  checkFiles(plan, planFile, indexes, root);
  const path = (i: number) => (root ? resolve(root, plan.inputs[i]!.name) : plan.inputs[i]!.name);
  const reader = new FlowLogReader();
  const records = new RecordColumns();
  let range: FlowLogPartial['range'] = null;
  if (s.files) await reader.readFiles(indexes.map((i) => sniffFile(path(i))), (b) => records.append(b));
  else {
    const { file, sniff } = sniffFile(path(s.input));
    range = await reader.readRange(file, sniff, s.cut, s.stopAt ?? Infinity, (b) => records.append(b));
  }
  // Messages and file infos name the files as the plan does (a worker may read them by absolute path).
  const files = reader.files.map((f, j) => ({ ...f, file: plan.inputs[indexes[j]!]!.name }));
  const details = root ? reader.problems.details.map((d) => renamed(d, path, plan, indexes)) : reader.problems.details;
  const partial: FlowLogPartial = {
    shard: k,
    rows: records.rows,
    columns: records.trimmed(),
    interfaces: reader.interfaces.all(),
    subnets: reader.subnets.all(),
    files,
    problems: { counts: Array.from(reader.problems.counts), details },
    range,
  };
  return framePartial({ plan: plan.digest, shard: k, shards: plan.shards.length, codec: FLOWLOG_PARTIAL_VERSION, kind: 'flow-logs' }, packValue(partial));
}

/** A problem record read by absolute path, named as the plan names the file. */
function renamed(d: ProblemRecord, path: (i: number) => string, plan: ShardPlan, indexes: number[]): ProblemRecord {
  for (const i of indexes) {
    const abs = path(i);
    if (d.file === abs) {
      const name = plan.inputs[i]!.name;
      return { ...d, file: name, message: d.message.split(abs).join(name) };
    }
  }
  return d;
}

// ---- merging ----------------------------------------------------------------------------------------------------

/**
 * The flow-log reading of a plan, from its partials in shard order (fetched one at a time): the same FlowLogTraffic
 * readFlowLogTraffic gives when it reads the files itself.
 */
export function flowLogShardReader(plan: ShardPlan, partials: (shard: number) => Promise<Uint8Array>): (inputs: readonly string[], opts: FlowLogSourceOptions) => Promise<FlowLogTraffic> {
  return async (inputs, opts) => {
    const fold = new FlowLogFold(opts);
    const interfaces = new StringTable();
    const subnets = new StringTable();
    const gaps = new CoverageGaps();
    const problems = new Problems();
    const files: (FlowLogFileInfo | null)[] = plan.inputs.map(() => null);
    /** Lines of each file read by earlier shards, and where the last range of it stopped. */
    const linesBefore = new Float64Array(plan.inputs.length);
    const stoppedAt = new Float64Array(plan.inputs.length).fill(-1);
    let records = 0;
    for (let k = 0; k < plan.shards.length; k++) {
      const s = plan.shards[k]!;
      const p = unpackValue(await partials(k)) as FlowLogPartial;
      if (p.shard !== k) throw new ShardError(`shard ${k}`, `holds the partial of shard ${p.shard}`);
      const indexes = s.files ?? [s.input];
      if (p.files.length !== indexes.length) throw new ShardError(`shard ${k}`, `read ${p.files.length} files; the plan gives it ${indexes.length}`);
      if (!s.files) {
        // Ranges of one file follow one another exactly: each starts where the previous one stopped.
        const prev = stoppedAt[s.input]!;
        if (s.cut > 0 && prev >= 0 && p.range && p.range.start !== prev) throw new ShardError(`shard ${k}`, `starts at offset ${p.range.start} of ${plan.inputs[s.input]!.name}; the previous range stopped at ${prev}`);
        if (p.range) stoppedAt[s.input] = p.range.stop;
      }
      const base = indexes.map((i) => (s.files ? 0 : linesBefore[i]!));
      const ifaceIds = p.interfaces.map((v) => interfaces.internString(v));
      const subnetIds = p.subnets.map((v) => subnets.internString(v));
      p.files.forEach((f, j) => {
        const i = indexes[j]!;
        const have = files[i];
        if (!have) files[i] = { ...f, file: plan.inputs[i]!.name };
        else {
          have.lines += f.lines;
          have.records += f.records;
          have.headers += f.headers;
          have.malformed += f.malformed;
        }
        linesBefore[i]! += f.lines;
      });
      problems.merge({ counts: p.problems.counts, details: base.some((b) => b > 0) ? p.problems.details.map((d) => shifted(d, p.files, base)) : p.problems.details });
      // The records, batch by batch, with global string, file and line numbers.
      const batch = new FlowLogBatch(Math.min(Math.max(p.rows, 1), 1 << 16));
      for (let from = 0; from < p.rows; from += batch.capacity) {
        const n = Math.min(batch.capacity, p.rows - from);
        for (const [name, width] of COLUMNS) (batch[name] as Column).set(p.columns[name].subarray(from * width, (from + n) * width));
        for (let i = 0; i < n; i++) {
          const f = batch.fileIndex[i]!;
          batch.line[i] = batch.line[i]! + base[f]!;
          batch.fileIndex[i] = indexes[f]!;
          const iface = batch.interfaceId[i]!;
          if (iface >= 0) batch.interfaceId[i] = ifaceIds[iface]!;
          const sub = batch.subnetId[i]!;
          if (sub >= 0) batch.subnetId[i] = subnetIds[sub]!;
          const st = batch.logStatus[i]!;
          if (st === LogStatus.NODATA || st === LogStatus.SKIPDATA) gaps.add(batch.interfaceId[i]!, st, batch.start[i]!, batch.end[i]!);
        }
        batch.length = n;
        fold.add(batch);
        records += n;
      }
    }
    const reading: FlowLogReading = { files: files.filter((f): f is FlowLogFileInfo => f !== null), skipped: plan.skipped ?? [], problems, gaps, interfaces, subnets, records };
    return fold.finish(inputs, reading);
  };
}

/** A problem of a range, with the lines of the file's earlier ranges added (in the record and its message). */
function shifted(d: ProblemRecord, files: FlowLogFileInfo[], base: number[]): ProblemRecord {
  if (d.line === undefined || d.file === undefined) return d;
  const j = files.findIndex((f) => f.file === d.file);
  const b = j >= 0 ? base[j]! : 0;
  if (b === 0) return d;
  const line = d.line + b;
  const prefix = `${d.file}:${d.line}: `;
  return { ...d, line, message: d.message.startsWith(prefix) ? `${d.file}:${line}: ${d.message.slice(prefix.length)}` : d.message };
}
