/** Open a capture by its content, never its name: sniff gzip, then the pcap or pcapng magic. `-` is stdin. */
import { createReadStream, openSync, readSync, fstatSync, closeSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { CaptureFormatError, fromSystemError } from '../errors.js';
import { FileSource, StreamSource, PrefixedSource, TeeSource, type ByteSource } from './source.js';
import { GunzipSource } from './gzip.js';
import { PcapReader, parseFileHeader, isPcapMagic, FILE_HEADER_LEN } from './pcap.js';
import { PcapngReader, isPcapngMagic, firstSectionLength } from './pcapng.js';
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
  const inherited = inheritedDescriptor(file);
  if (file === '-') {
    inner = new StreamSource(opts.stdin ?? process.stdin);
  } else if (inherited !== null && !canOpen(file)) {
    // /dev/stdin or /dev/fd/N on a socket cannot be opened again (ENXIO): read the descriptor we were given.
    inner = new StreamSource(inherited === 0 ? (opts.stdin ?? process.stdin) : createReadStream('', { fd: inherited, autoClose: false }), file);
  } else {
    let regular = false;
    try {
      fd = openSync(file, 'r');
      const st = fstatSync(fd);
      if (st.isDirectory()) {
        closeSync(fd);
        throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      }
      // A FIFO, <(process substitution), /dev/stdin, a socket or a device has no size to read by: stream it.
      regular = st.isFile() && st.size > 0;
      size = regular ? st.size : -1;
    } catch (e) {
      throw fromSystemError(file, e);
    }
    if (regular) inner = new FileSource(fd, 0, size, file);
    else {
      inner = new StreamSource(createReadStream('', { fd, highWaterMark: 1 << 20 }), file);
      fd = -1;
    }
  }

  const streamProblems: OpenedCapture['streamProblems'] = [];
  let head = await readUpTo(inner, SNIFF_BYTES);
  let compression: Compression = null;
  let gzip: GunzipSource | null = null;
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    compression = 'gzip';
    gzip = new GunzipSource(new PrefixedSource(head, inner), (message, at) => {
      problems.add(Problem['bad-gzip'], at, message);
      streamProblems.push({ kind: Problem['bad-gzip'], offset: at, message });
    });
    inner = gzip;
    head = await readUpTo(inner, SNIFF_BYTES);
  }
  if (head.length < 4) {
    inner.close();
    if (gzip?.failure) throw new CaptureFormatError(file, 0, `not a capture: ${gzip.failure}`);
    throw new CaptureFormatError(file, 0, head.length === 0 ? 'not a pcap or pcapng file (it is empty)' : `not a pcap or pcapng file (only ${head.length} bytes)`);
  }
  const le32 = (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0;
  if (isPcapngMagic(le32)) {
    // The first section header must be whole: a file with no readable section is not a capture.
    const len = firstSectionLength(head, file, gzip?.failure ?? null);
    if (head.length < len) {
      const rest = await readUpTo(inner, len - head.length);
      const whole = new Uint8Array(head.length + rest.length);
      whole.set(head);
      whole.set(rest, head.length);
      head = whole;
      if (head.length < len) {
        inner.close();
        throw new CaptureFormatError(file, 4, `pcapng section header block claims ${len} bytes, the input ends after ${head.length}${gzip?.failure ? ` (${gzip.failure})` : ''}`);
      }
    }
  }
  const seekable = fd >= 0 && compression === null;
  const tee = opts.tee && !seekable ? new TeeSource(new PrefixedSource(head, inner)) : null;
  const source: ByteSource = tee ?? new PrefixedSource(head, inner);
  let reader: RecordReader;
  if (isPcapMagic(le32)) {
    const header = parseFileHeader(head.subarray(0, FILE_HEADER_LEN), file);
    await readUpTo(source, FILE_HEADER_LEN); // consume the file header
    reader = new PcapReader(source, file, problems, header, FILE_HEADER_LEN, opts.chunkBytes);
  } else if (isPcapngMagic(le32)) {
    reader = new PcapngReader(source, file, problems, 0, null, opts.chunkBytes);
  } else {
    inner.close();
    const hex = Array.from(head.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join('');
    throw new CaptureFormatError(file, 0, `not a pcap or pcapng file (magic 0x${hex})`);
  }
  return { file, reader, compression, size, seekable, tee, streamProblems };
}

/** The descriptor a path such as /dev/stdin, /dev/fd/3 or /proc/self/fd/3 names, else null. */
function inheritedDescriptor(file: string): number | null {
  if (file === '/dev/stdin') return 0;
  const m = /^\/(?:dev\/fd|proc\/self\/fd)\/(\d+)$/.exec(file);
  return m ? Number(m[1]) : null;
}

/** False when opening `file` fails because it names a socket (ENXIO), which can only be read through its descriptor. */
function canOpen(file: string): boolean {
  try {
    closeSync(openSync(file, 'r'));
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENXIO';
  }
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
 * What kind of traffic `path` holds, from its content (gzip is looked into): `-` (stdin), a FIFO or a device is a
 * capture stream (flow logs are read from files and directories only), a directory is
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
  // A FIFO, socket or device is read once: sniffing would eat its first bytes, so it is read as a capture stream.
  if (!st.isFile()) return 'capture';
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
