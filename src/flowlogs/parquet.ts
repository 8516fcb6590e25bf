/**
 * Parquet flow logs through hyparquet: one row group at a time (column chunks are read by byte range from the file,
 * so memory is one row group's columns), the columns named as AWS names them (account_id, log_status, tcp_flags...;
 * https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html, "Parquet data type"), pages compressed with
 * GZIP (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html) inflated by node:zlib.
 *
 * hyparquet hands over JS values (strings, numbers, bigints), not bytes: the strings of the address and id columns
 * are copied into a scratch byte array and go through the same field parser as text, so both paths agree.
 */
import { gunzipSync } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import type { FlowLogBatch } from './batch.js';
import { fieldId, Field } from './fields.js';
import { LineError, lineErrorMessage, type LineParser } from './parse.js';
import { Problem, type Problems } from '../capture/problems.js';
import { FlowLogFormatError, fromSystemError } from '../errors.js';

/** Counters the reader keeps per file. */
interface FileCounters {
  lines: number;
  malformed: number;
}

const compressors = { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) };
const scratch = new Uint8Array(1024);

/** Copy an ASCII/latin1 string into `scratch`, returning its length (longer strings are cut at 1024 bytes). */
function toScratch(v: string): number {
  const n = Math.min(v.length, scratch.length);
  for (let k = 0; k < n; k++) scratch[k] = v.charCodeAt(k) & 0xff;
  return n;
}

type ColumnValues = ArrayLike<unknown>;

/** Read a Parquet flow-log file into `batch` rows; `rowDone` is the reader's (it hands full batches on). */
export async function readParquetFlowLog(
  file: string,
  fileIndex: number,
  parser: LineParser,
  batch: FlowLogBatch,
  problems: Problems,
  info: FileCounters,
  rowDone: (batch: FlowLogBatch) => void,
): Promise<void> {
  let buffer;
  let metadata;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string') throw fromSystemError(file, e);
    throw new FlowLogFormatError(file, `not a readable Parquet file: ${String(err?.message ?? e).split('\n')[0]}`, { offset: 0 });
  }
  const names = metadata.schema.slice(1).map((s) => s.name);
  const wanted = names.filter((n) => fieldId(n) > 0);
  const ids = wanted.map((n) => fieldId(n));
  if (!ids.includes(Field.LOG_STATUS) && !(ids.includes(Field.SRCADDR) && ids.includes(Field.DSTADDR))) {
    throw new FlowLogFormatError(file, `a Parquet file without the flow-log columns (log_status, or srcaddr and dstaddr); its columns: ${names.slice(0, 12).join(', ')}`);
  }
  let groupStart = 0;
  for (const rg of metadata.row_groups) {
    const rows = Number(rg.num_rows);
    const groupEnd = groupStart + rows;
    const chunks = new Map<string, { rowStart: number; data: ColumnValues }[]>();
    try {
      await parquetRead({
        file: buffer,
        metadata,
        columns: wanted,
        rowStart: groupStart,
        rowEnd: groupEnd,
        compressors,
        onChunk: (c) => {
          let list = chunks.get(c.columnName);
          if (!list) chunks.set(c.columnName, (list = []));
          list.push({ rowStart: c.rowStart, data: c.columnData as ColumnValues });
        },
      });
    } catch (e) {
      // a row group that cannot be decoded: counted, the next one is tried
      problems.addAt(Problem['bad-parquet-row'], groupStart, `${file}: row group at rows ${groupStart + 1}-${groupEnd} cannot be read: ${String((e as Error)?.message ?? e).split('\n')[0]}`, file, groupStart + 1);
      info.lines += rows;
      info.malformed += rows;
      groupStart = groupEnd;
      continue;
    }
    const cols: (ColumnValues | null)[] = wanted.map((n) => flatten(chunks.get(n), groupStart, rows));
    for (let r = 0; r < rows; r++) {
      info.lines++;
      const i = batch.length;
      batch.resetRow(i);
      let err: number = LineError.NONE;
      let badColumn = -1;
      for (let k = 0; k < ids.length && err === LineError.NONE; k++) {
        const col = cols[k];
        if (!col) continue;
        const v = col[r];
        if (v === null || v === undefined) continue;
        const id = ids[k]!;
        if (typeof v === 'string') {
          const n = toScratch(v);
          err = parser.field(id, scratch, 0, n, batch, i);
        } else if (typeof v === 'number' || typeof v === 'bigint') {
          err = parser.number(id, Number(v), batch, i);
        } else err = LineError.BAD_VALUE;
        if (err !== LineError.NONE) badColumn = k;
      }
      if (err === LineError.NONE) err = parser.finish(batch, i);
      if (err !== LineError.NONE) {
        info.malformed++;
        const row = groupStart + r + 1;
        problems.addAt(
          Problem['bad-parquet-row'],
          groupStart + r,
          problems.wantsDetail() ? `${file}: row ${row}: ${badColumn >= 0 ? `column ${wanted[badColumn]}: ${JSON.stringify(String(cols[badColumn]![r]))}` : lineErrorMessage(parser, err, scratch)}` : null,
          file,
          row,
        );
        continue;
      }
      batch.fileIndex[i] = fileIndex;
      batch.line[i] = groupStart + r + 1;
      rowDone(batch);
    }
    groupStart = groupEnd;
  }
}

/** One column's values for rows [groupStart, groupStart + rows) of a row group, from its chunks (pages). */
function flatten(list: { rowStart: number; data: ColumnValues }[] | undefined, groupStart: number, rows: number): ColumnValues | null {
  if (!list || list.length === 0) return null;
  if (list.length === 1 && list[0]!.rowStart === groupStart && list[0]!.data.length >= rows) return list[0]!.data;
  const out: unknown[] = new Array(rows).fill(null);
  for (const c of list) {
    for (let k = 0; k < c.data.length; k++) {
      const r = c.rowStart + k - groupStart;
      if (r >= 0 && r < rows) out[r] = c.data[k];
    }
  }
  return out;
}
