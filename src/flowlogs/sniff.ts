/**
 * Is this a VPC flow-log file? Decided from the first bytes, never the name: gzip magic (then the inflated head is
 * looked at), Parquet magic `PAR1`, or text whose first line is a header of field names or a record of the default
 * version 2 format. pcap (binary magic), pcapng (starts with an empty line, 0x0a0d0d0a) and gzipped pcap never pass.
 */
import { gunzipSync, inflateRawSync, constants as zc } from 'node:zlib';
import { headerLength } from './gzip.js';
import { headerLayout, DEFAULT_V2 } from './fields.js';
import { FlowLogBatch } from './batch.js';
import { LineParser, LineError } from './parse.js';
import { StringTable } from './strings.js';
import { CaptureFormatError } from '../errors.js';

/** Bytes to read for sniffing. */
export const FLOWLOG_SNIFF_BYTES = 65536;

export type FlowLogFormat = 'text-header' | 'text-v2' | 'parquet';
export interface FlowLogSniff {
  format: FlowLogFormat;
  compression: 'gzip' | null;
}

/** True for gzip magic (RFC 1952 2.3.1). */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** True for the Parquet magic at the start of a file. */
export function isParquet(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31;
}

/**
 * Inflate what the head of a gzip file holds (no error for a cut stream); empty when it is not inflatable. A stream
 * corrupt within the head gives what inflates before the damage: shorter prefixes are tried (halving), since zlib
 * reports the error instead of the output it had.
 */
export function gunzipHead(head: Uint8Array): Uint8Array {
  for (let n = head.length; n >= 64; n >>= 1) {
    const out = gunzipWhole(n === head.length ? head : head.subarray(0, n));
    if (out.length > 0) return out;
  }
  return new Uint8Array(0);
}

function gunzipWhole(head: Uint8Array): Uint8Array {
  try {
    return gunzipSync(head, { finishFlush: zc.Z_SYNC_FLUSH });
  } catch {
    // a bad trailer or bytes after the first member: the first member's data is still what the file starts with
    const h = headerLength(head);
    if (h < 0) return new Uint8Array(0);
    try {
      return inflateRawSync(head.subarray(h), { finishFlush: zc.Z_SYNC_FLUSH });
    } catch {
      return new Uint8Array(0);
    }
  }
}

const sniffBatch = new FlowLogBatch(1);
const sniffParser = new LineParser(new StringTable(), new StringTable());

/**
 * The format of a file from its first bytes (`complete`: the head is the whole file, so a last line without a
 * newline is whole); null when it is not a flow log.
 */
export function sniffFlowLog(head: Uint8Array, complete = false): FlowLogSniff | null {
  if (isGzip(head)) {
    const inner = gunzipHead(head);
    if (isGzip(inner)) return null;
    const s = sniffFlowLog(inner, complete && inner.length < FLOWLOG_SNIFF_BYTES * 16);
    return s && s.format !== 'parquet' ? { format: s.format, compression: 'gzip' } : null;
  }
  if (isParquet(head)) return { format: 'parquet', compression: null };
  const text = sniffText(head, complete);
  return text ? { format: text, compression: null } : null;
}

/** True when `head` (the first bytes of a file, compressed or not) starts a VPC flow-log file. */
export function isFlowLog(head: Uint8Array): boolean {
  return sniffFlowLog(head) !== null;
}

function sniffText(head: Uint8Array, complete: boolean): 'text-header' | 'text-v2' | null {
  let start = 0;
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) start = 3; // UTF-8 BOM
  let end = head.indexOf(0x0a, start);
  if (end < 0) {
    if (!complete) return null;
    end = head.length;
  }
  let lineEnd = end;
  if (lineEnd > start && head[lineEnd - 1] === 0x0d) lineEnd--;
  if (lineEnd === start) return null;
  for (let p = start; p < lineEnd; p++) {
    const c = head[p]!;
    if ((c < 0x20 || c > 0x7e) && c !== 0x09) return null;
  }
  const first = head[start]!;
  if (first >= 0x61 && first <= 0x7a) {
    const words = Buffer.from(head.buffer, head.byteOffset + start, lineEnd - start).toString('latin1').trim().split(/[ \t]+/);
    const ids = headerLayout(words);
    return ids && ids.filter((x) => x > 0).length >= 2 ? 'text-header' : null;
  }
  sniffParser.setLayout(DEFAULT_V2);
  return sniffParser.parse(head, start, lineEnd, sniffBatch, 0) === LineError.NONE ? 'text-v2' : null;
}

/** The one-line error for a file that is neither a capture nor a flow log (exit 65), naming what it starts with. */
export function notTrafficError(file: string, head: Uint8Array): CaptureFormatError {
  if (head.length === 0) return new CaptureFormatError(file, 0, 'not a pcap, pcapng or VPC flow-log file (it is empty)');
  const n = Math.min(head.length, 16);
  let printable = true;
  for (let p = 0; p < n; p++) if ((head[p]! < 0x20 || head[p]! > 0x7e) && head[p] !== 0x09 && head[p] !== 0x0a && head[p] !== 0x0d) printable = false;
  const shown = head.length < 4 && !printable
    ? `only ${head.length} byte${head.length === 1 ? '' : 's'}`
    : printable
    ? `starts with ${JSON.stringify(Buffer.from(head.subarray(0, Math.min(head.length, 40))).toString('latin1').split('\n')[0])}`
    : `magic 0x${Buffer.from(head.subarray(0, 4)).toString('hex')}`;
  return new CaptureFormatError(file, 0, `not a pcap, pcapng or VPC flow-log file (${shown})`);
}
