/**
 * The flow-log reader: files and directories (the S3 layout AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/,
 * https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html), each file sniffed from its content
 * (text with a header line, default v2 text, gzip of either, Parquet), read as a stream into reused FlowLogBatches
 * handed to the caller one at a time: memory is one batch and one read buffer, whatever the size of the logs.
 */
import { openSync, readSync, closeSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FlowLogBatch, DEFAULT_FLOWLOG_BATCH } from './batch.js';
import { DEFAULT_V2, headerLayout, LogStatus } from './fields.js';
import { LineParser, LineError, lineErrorMessage } from './parse.js';
import { StringTable } from './strings.js';
import { CoverageGaps } from './gaps.js';
import { sniffFlowLog, FLOWLOG_SNIFF_BYTES, type FlowLogSniff } from './sniff.js';
import { gunzipFile } from './gzip.js';
import { readParquetFlowLog } from './parquet.js';
import { Problems, Problem } from '../capture/problems.js';
import { FlowLogFormatError, NoSuchFileError, fromSystemError } from '../errors.js';

export interface FlowLogReadOptions {
  batchSize?: number;
  problems?: Problems;
  /** Bytes per read of a plain file. */
  readBytes?: number;
}

/** Per-file facts, in reading order. */
export interface FlowLogFileInfo {
  file: string;
  format: FlowLogSniff['format'];
  compression: 'gzip' | null;
  /** Lines read (Parquet: rows), records that went into batches, header lines. */
  lines: number;
  records: number;
  headers: number;
  /** Lines that were not records (each counted in problems). */
  malformed: number;
}

/**
 * Every file named or found under the directories named, in a deterministic order: inputs in the order given, and
 * under a directory the files sorted by path (byte order of the names; S3 keys of one day sort by time). Hidden
 * files (a leading dot) are skipped.
 */
export function listFlowLogFiles(inputs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      throw fromSystemError(dir, e);
    }
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const n of names) {
      if (n.startsWith('.')) continue;
      const p = join(dir, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push(p);
    }
  };
  for (const input of inputs) {
    let st;
    try {
      st = statSync(input);
    } catch (e) {
      throw fromSystemError(input, e);
    }
    if (st.isDirectory()) walk(input);
    else out.push(input);
  }
  return out;
}

const SP_LF = 0x0a;

/** A flow-log file and how its content was sniffed. */
export interface SniffedFlowLog {
  file: string;
  sniff: FlowLogSniff;
}

/**
 * The flow-log files of `inputs` in reading order, each sniffed, and the files found in directories that are not
 * flow logs (skipped, with the reason). A named file that is not a flow log throws FlowLogFormatError; inputs with
 * no flow-log file at all throw NoSuchFileError.
 */
export function sniffFlowLogInputs(inputs: readonly string[]): { files: SniffedFlowLog[]; skipped: { file: string; reason: string }[] } {
  const named = new Set(inputs);
  const files: SniffedFlowLog[] = [];
  const skipped: { file: string; reason: string }[] = [];
  for (const file of listFlowLogFiles(inputs)) {
    const { head, complete } = readHead(file);
    const sniff = sniffFlowLog(head, complete);
    if (!sniff) {
      if (named.has(file)) throw new FlowLogFormatError(file, describeHead(head), { offset: 0 });
      skipped.push({ file, reason: describeHead(head) });
      continue;
    }
    files.push({ file, sniff });
  }
  if (files.length === 0) {
    const first = skipped[0];
    throw new NoSuchFileError(
      inputs[0] ?? '-',
      first ? `is a directory with no flow-log files (${skipped.length} other file${skipped.length === 1 ? '' : 's'} skipped; ${first.file}: ${first.reason})` : 'is a directory with no files: neither a capture nor flow logs',
    );
  }
  return { files, skipped };
}

/** Reads flow-log files into batches; one per thread, reused over many inputs. */
export class FlowLogReader {
  readonly problems: Problems;
  readonly interfaces = new StringTable();
  readonly subnets = new StringTable();
  readonly gaps = new CoverageGaps();
  /** Files read (a batch row's fileIndex indexes this), with what was found in each. */
  readonly files: FlowLogFileInfo[] = [];
  /** Files found in directories that were not flow logs (skipped), with the reason. */
  readonly skipped: { file: string; reason: string }[] = [];
  records = 0;

  private readonly batch: FlowLogBatch;
  private readonly parser: LineParser;
  private onBatch: (batch: FlowLogBatch) => void = () => {};
  private readonly readBytes: number;
  // line assembly
  private carry = new Uint8Array(1 << 16);
  private carryLen = 0;
  private lineNo = 0;
  private streamOffset = 0;
  private fileIndex = 0;
  private info: FlowLogFileInfo | null = null;
  private sawFirstLine = false;
  /** readRange: no line starting at or after this offset is read. */
  private stopAt = Infinity;
  private stopped = false;

  constructor(opts: FlowLogReadOptions = {}) {
    this.problems = opts.problems ?? new Problems();
    this.batch = new FlowLogBatch(opts.batchSize ?? DEFAULT_FLOWLOG_BATCH);
    this.parser = new LineParser(this.interfaces, this.subnets);
    this.readBytes = opts.readBytes ?? 1 << 20;
  }

  /**
   * Read every file of `inputs` (files and directories), calling onBatch with each full batch and the last one; the
   * batch is reused after the call returns. A named file that is not a flow log throws FlowLogFormatError; one
   * found in a directory is skipped and listed in `skipped`.
   */
  async read(inputs: readonly string[], onBatch: (batch: FlowLogBatch) => void): Promise<void> {
    const { files, skipped } = sniffFlowLogInputs(inputs);
    this.skipped.push(...skipped);
    await this.readFiles(files, onBatch);
  }

  /** Read these files (sniffed by sniffFlowLogInputs) whole, in order. */
  async readFiles(files: readonly SniffedFlowLog[], onBatch: (batch: FlowLogBatch) => void): Promise<void> {
    this.onBatch = onBatch;
    for (const { file, sniff } of files) await this.readFile(file, sniff);
    this.flush();
  }

  /**
   * Read the lines of a plain-text flow-log file that start in [from, stopAt): a shard of a large file. `from` is
   * moved to the first line start at or after it (a newline is a true boundary in text). The file's header line, if
   * it has one, sets the layout for a range that does not start at 0. Line numbers count from the range's first
   * line (the merge adds the lines before it). Returns where the first line started and where reading stopped.
   */
  async readRange(file: string, sniff: FlowLogSniff, from: number, stopAt: number, onBatch: (batch: FlowLogBatch) => void): Promise<{ start: number; stop: number }> {
    this.onBatch = onBatch;
    this.fileIndex = this.files.length;
    const info: FlowLogFileInfo = { file, format: sniff.format, compression: sniff.compression, lines: 0, records: 0, headers: 0, malformed: 0 };
    this.files.push(info);
    this.info = info;
    this.parser.setLayout(DEFAULT_V2);
    this.carryLen = 0;
    this.lineNo = 0;
    this.sawFirstLine = false;
    const fd = openInput(file);
    const buf = new Uint8Array(this.readBytes);
    let start = from;
    try {
      if (from > 0) {
        // The file's own first line: its layout, when it is a header.
        const n = readSync(fd, buf, 0, Math.min(buf.length, 1 << 16), 0);
        let nl = buf.subarray(0, n).indexOf(SP_LF);
        if (nl < 0) nl = n;
        let q = 0;
        if (nl >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) q = 3;
        const e = nl > q && buf[nl - 1] === 0x0d ? nl - 1 : nl;
        if (q < e && buf[q]! >= 0x61 && buf[q]! <= 0x7a) {
          const ids = headerLayout(Buffer.from(buf.buffer, buf.byteOffset + q, e - q).toString('latin1').trim().split(/[ \t]+/));
          if (ids) this.parser.setLayout(ids);
        }
        this.sawFirstLine = true;
        // The first line that starts at or after `from`: just after a newline at from - 1 or later.
        for (let pos = from - 1; ; ) {
          const k = readSync(fd, buf, 0, buf.length, pos);
          if (k === 0) {
            start = pos;
            break;
          }
          const at = buf.subarray(0, k).indexOf(SP_LF);
          if (at >= 0) {
            start = pos + at + 1;
            break;
          }
          pos += k;
        }
      }
      this.streamOffset = start;
      this.stopAt = stopAt;
      this.stopped = false;
      this.pushFile(fd, file, buf, start);
      if (this.carryLen > 0 && !this.stopped && this.streamOffset < stopAt) this.line(this.carry, 0, this.carryLen);
      this.carryLen = 0;
    } finally {
      closeSync(fd);
      this.stopAt = Infinity;
    }
    this.flush();
    return { start, stop: this.stopped ? this.streamOffset : Math.max(this.streamOffset, start) };
  }

  /** Push a plain file's bytes from `pos` to its end (or until a range's reading stopped). */
  private pushFile(fd: number, file: string, buf: Uint8Array, pos: number): void {
    while (!this.stopped) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, pos);
      } catch (e) {
        throw fromSystemError(file, e);
      }
      if (n === 0) break;
      pos += n;
      this.push(buf, 0, n);
    }
  }

  private async readFile(file: string, sniff: FlowLogSniff): Promise<void> {
    this.fileIndex = this.files.length;
    const info: FlowLogFileInfo = { file, format: sniff.format, compression: sniff.compression, lines: 0, records: 0, headers: 0, malformed: 0 };
    this.files.push(info);
    this.info = info;
    if (sniff.format === 'parquet') {
      await readParquetFlowLog(file, this.fileIndex, this.parser, this.batch, this.problems, info, (b) => this.rowDone(b));
      return;
    }
    this.parser.setLayout(DEFAULT_V2);
    this.carryLen = 0;
    this.lineNo = 0;
    this.streamOffset = 0;
    this.sawFirstLine = false;
    this.stopped = false;
    if (sniff.compression === 'gzip') {
      const failure = await gunzipFile(file, (chunk) => this.push(chunk, 0, chunk.length));
      if (failure) {
        const cut = this.carryLen;
        this.problems.addAt(
          Problem['bad-compressed-stream'],
          failure.offset,
          `${file}: ${failure.message}${cut > 0 ? `; the ${cut} bytes of an unfinished line ${this.lineNo + 1} after the last complete line are dropped` : ''}`,
          file,
          this.lineNo + 1,
        );
        this.carryLen = 0;
      }
    } else {
      const fd = openInput(file);
      try {
        this.pushFile(fd, file, new Uint8Array(this.readBytes), 0);
      } finally {
        closeSync(fd);
      }
    }
    if (this.carryLen > 0) {
      // the last line without a newline is a whole line of a whole file
      this.line(this.carry, 0, this.carryLen);
      this.carryLen = 0;
    }
  }

  /** Bytes of the decompressed stream: complete lines are parsed where they lie, the rest waits in `carry`. */
  private push(b: Uint8Array, start: number, end: number): void {
    let p = start;
    if (this.carryLen > 0) {
      const nl = b.indexOf(SP_LF, p);
      const upto = nl < 0 || nl >= end ? end : nl;
      this.appendCarry(b, p, upto);
      if (nl < 0 || nl >= end) return;
      if (this.streamOffset >= this.stopAt) {
        this.stopped = true;
        return;
      }
      this.line(this.carry, 0, this.carryLen);
      this.carryLen = 0;
      p = nl + 1;
    }
    for (;;) {
      const nl = b.indexOf(SP_LF, p);
      if (nl < 0 || nl >= end) break;
      if (this.streamOffset >= this.stopAt) {
        this.stopped = true;
        this.carryLen = 0;
        return;
      }
      this.line(b, p, nl);
      p = nl + 1;
    }
    if (p < end) this.appendCarry(b, p, end);
  }

  private appendCarry(b: Uint8Array, s: number, e: number): void {
    const n = e - s;
    if (this.carryLen + n > this.carry.length) {
      const next = new Uint8Array(Math.max(2 * this.carry.length, this.carryLen + n));
      next.set(this.carry.subarray(0, this.carryLen));
      this.carry = next;
    }
    this.carry.set(b.subarray(s, e), this.carryLen);
    this.carryLen += n;
  }

  /** One line b[s, e) without its newline. */
  private line(b: Uint8Array, s: number, e: number): void {
    const lineStart = this.streamOffset;
    this.streamOffset += e - s + 1;
    this.lineNo++;
    const info = this.info!;
    info.lines++;
    if (e > s && b[e - 1] === 0x0d) e--;
    if (!this.sawFirstLine && e - s >= 3 && b[s] === 0xef && b[s + 1] === 0xbb && b[s + 2] === 0xbf) s += 3;
    let q = s;
    while (q < e && (b[q] === 0x20 || b[q] === 0x09)) q++;
    if (q === e) return; // blank line
    const first = b[q]!;
    const lower = first >= 0x61 && first <= 0x7a;
    // The first line of a file may be its header; a later one only when it is not a record (files concatenated).
    if (!this.sawFirstLine) {
      this.sawFirstLine = true;
      if (lower && this.header(b, q, e)) return;
    }
    const batch = this.batch;
    const i = batch.length;
    const err = this.parser.parse(b, q, e, batch, i);
    if (err !== LineError.NONE) {
      if (lower && this.header(b, q, e)) return;
      info.malformed++;
      const file = info.file;
      this.problems.addAt(Problem['bad-flow-log-line'], lineStart, this.problems.wantsDetail() ? `${file}:${this.lineNo}: ${lineErrorMessage(this.parser, err, b)}` : null, file, this.lineNo);
      return;
    }
    batch.fileIndex[i] = this.fileIndex;
    batch.line[i] = this.lineNo;
    this.rowDone(batch);
  }

  /** A header line (the first line of an S3 text file, or a later one where files were concatenated). */
  private header(b: Uint8Array, s: number, e: number): boolean {
    const words = Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1').trim().split(/[ \t]+/);
    const ids = headerLayout(words);
    if (!ids) return false;
    this.parser.setLayout(ids);
    this.info!.headers++;
    return true;
  }

  /** Row batch.length was filled: note gaps, count, hand on a full batch. */
  private rowDone(batch: FlowLogBatch): void {
    const i = batch.length;
    const st = batch.logStatus[i]!;
    if (st === LogStatus.NODATA || st === LogStatus.SKIPDATA) this.gaps.add(batch.interfaceId[i]!, st, batch.start[i]!, batch.end[i]!);
    batch.length = i + 1;
    this.records++;
    this.info!.records++;
    if (batch.length === batch.capacity) this.flush();
  }

  private flush(): void {
    if (this.batch.length > 0) {
      this.onBatch(this.batch);
      this.batch.clear();
    }
  }
}

/** A file opened for reading, or its system error naming it. */
function openInput(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (e) {
    throw fromSystemError(file, e);
  }
}

function readHead(file: string): { head: Uint8Array; complete: boolean } {
  const fd = openInput(file);
  try {
    const b = new Uint8Array(FLOWLOG_SNIFF_BYTES);
    const n = readSync(fd, b, 0, b.length, 0);
    return { head: b.subarray(0, n), complete: n < b.length };
  } finally {
    closeSync(fd);
  }
}

function describeHead(head: Uint8Array): string {
  if (head.length === 0) return 'not a VPC flow-log file (it is empty)';
  let printable = true;
  const n = Math.min(head.length, 40);
  for (let p = 0; p < n; p++) if ((head[p]! < 0x20 || head[p]! > 0x7e) && head[p] !== 0x09 && head[p] !== 0x0a && head[p] !== 0x0d) printable = false;
  if (printable) return `not a VPC flow-log file (neither a header of field names nor a version 2 record: ${JSON.stringify(Buffer.from(head.subarray(0, n)).toString('latin1').split('\n')[0])})`;
  return `not a VPC flow-log file (magic 0x${Buffer.from(head.subarray(0, 4)).toString('hex')})`;
}
