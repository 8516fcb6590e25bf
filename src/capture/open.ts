/** Open a capture by its content, never its name: sniff gzip, then the pcap or pcapng magic. `-` is stdin. */
import { openSync, readSync, fstatSync, closeSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { CaptureFormatError, fromSystemError } from '../errors.js';
import { FileSource, StreamSource, PrefixedSource, TeeSource, toReadable, type ByteSource } from './source.js';
import { PcapReader, parseFileHeader, isPcapMagic, FILE_HEADER_LEN } from './pcap.js';
import { PcapngReader, isPcapngMagic, checkFirstSection } from './pcapng.js';
import type { RecordReader } from './reader.js';
import { Problems, Problem } from './problems.js';
import { sniffFlowLog, gunzipHead, notTrafficError, FLOWLOG_SNIFF_BYTES } from '../flowlogs/sniff.js';

export type Compression = 'gzip' | null;

/** An opened capture: the reader positioned at the first record, and what we learned on the way. */
export interface OpenedCapture {
  file: string;
  reader: RecordReader;
  compression: Compression;
  /** File size in bytes, -1 for stdin. */
  size: number;
  /** True when records can be re-read by offset from the file itself (plain file, not compressed, not stdin). */
  seekable: boolean;
  /** With `tee`: the bytes the reader consumed, for handing the capture on in chunks. */
  tee: TeeSource | null;
  /**
   * Failures of the input stream itself (a corrupt gzip stream), found while reading: whoever reads the capture
   * reports them with its own problems (the walk that cuts chunks keeps none).
   */
  streamProblems: { kind: number; offset: number; message: string }[];
}

export interface OpenOptions {
  chunkBytes?: number;
  /** Override stdin (tests). */
  stdin?: Readable;
  /** Keep the bytes read when the input cannot be re-read by offset (stdin, gzip). */
  tee?: boolean;
}

const SNIFF_BYTES = 28;

/** Open `file` (or '-' for stdin) and return a reader; throws NoSuchFileError or CaptureFormatError. */
export async function openCapture(file: string, problems: Problems, opts: OpenOptions = {}): Promise<OpenedCapture> {
  let size = -1;
  let inner: ByteSource;
  let fd = -1;
  if (file === '-') {
    inner = new StreamSource(opts.stdin ?? process.stdin);
  } else {
    try {
      fd = openSync(file, 'r');
      const st = fstatSync(fd);
      if (st.isDirectory()) {
        closeSync(fd);
        throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      }
      size = st.size;
    } catch (e) {
      throw fromSystemError(file, e);
    }
    inner = new FileSource(fd, 0, size, file);
  }

  const streamProblems: OpenedCapture['streamProblems'] = [];
  let head = await readUpTo(inner, SNIFF_BYTES);
  let compression: Compression = null;
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    compression = 'gzip';
    const raw = toReadable(head, inner);
    const gunzip = createGunzip();
    raw.on('error', (err) => gunzip.destroy(err));
    const stream = new StreamSource(raw.pipe(gunzip));
    stream.onError = (err, at) => {
      const message = `gzip stream ends in error after ${at} decompressed bytes: ${err.message}`;
      problems.add(Problem['truncated-record'], at, message);
      streamProblems.push({ kind: Problem['truncated-record'], offset: at, message });
    };
    inner = stream;
    head = await readUpTo(inner, SNIFF_BYTES);
  }
  if (head.length < 4) {
    inner.close();
    throw new CaptureFormatError(file, 0, head.length === 0 ? 'not a pcap or pcapng file (it is empty)' : `not a pcap or pcapng file (only ${head.length} bytes)`);
  }
  const le32 = (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0;
  const seekable = fd >= 0 && compression === null;
  const tee = opts.tee && !seekable ? new TeeSource(new PrefixedSource(head, inner)) : null;
  const source: ByteSource = tee ?? new PrefixedSource(head, inner);
  let reader: RecordReader;
  if (isPcapMagic(le32)) {
    const header = parseFileHeader(head.subarray(0, FILE_HEADER_LEN), file);
    await readUpTo(source, FILE_HEADER_LEN); // consume the file header
    reader = new PcapReader(source, file, problems, header, FILE_HEADER_LEN, opts.chunkBytes);
  } else if (isPcapngMagic(le32)) {
    checkFirstSection(head, file);
    reader = new PcapngReader(source, file, problems, 0, null, opts.chunkBytes);
  } else {
    inner.close();
    const hex = Array.from(head.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join('');
    throw new CaptureFormatError(file, 0, `not a pcap or pcapng file (magic 0x${hex})`);
  }
  return { file, reader, compression, size, seekable, tee, streamProblems };
}

async function readUpTo(src: ByteSource, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = src.read(out, got, n - got);
    const k = typeof r === 'number' ? r : await r;
    if (k === 0) break;
    got += k;
  }
  return out.subarray(0, got);
}

/** Read the first `n` bytes of a file synchronously (for sniffing without opening a reader). */
export function sniff(file: string, n: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const b = new Uint8Array(n);
    const k = readSync(fd, b, 0, n, 0);
    return b.subarray(0, k);
  } finally {
    closeSync(fd);
  }
}


/** The two kinds of traffic input: a capture (pcap, pcapng) or VPC flow logs (text, gzip, Parquet; directories). */
export type TrafficKind = 'capture' | 'flow-logs';

/**
 * What kind of traffic `path` holds, from its content (gzip is looked into): `-` (stdin) is a capture, a directory is
 * flow logs (its files are sniffed one by one as they are read), a file is a capture when it starts with the pcap or
 * pcapng magic and flow logs when the flow-log sniffer accepts it. Anything else throws CaptureFormatError (exit
 * 65) naming what the file starts with; a missing file throws NoSuchFileError.
 */
export function trafficKind(path: string): TrafficKind {
  if (path === '-') return 'capture';
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw fromSystemError(path, e);
  }
  if (st.isDirectory()) return 'flow-logs';
  let head: Uint8Array;
  try {
    head = sniff(path, FLOWLOG_SNIFF_BYTES);
  } catch (e) {
    throw fromSystemError(path, e);
  }
  const inner = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b ? gunzipHead(head) : head;
  if (inner.length >= 4) {
    const le32 = (inner[0]! | (inner[1]! << 8) | (inner[2]! << 16) | (inner[3]! << 24)) >>> 0;
    if (isPcapMagic(le32) || isPcapngMagic(le32)) return 'capture';
  }
  if (sniffFlowLog(head, head.length < FLOWLOG_SNIFF_BYTES)) return 'flow-logs';
  throw notTrafficError(path, inner.length > 0 ? inner : head);
}
