/**
 * The one reader of every input that is not a capture (ACL, topology, describe-subnets and ClassBench trace files):
 * read in chunks with readSync and stopped as soon as it passes the size limit, so a device (/dev/zero), a FIFO or
 * a huge file never grows memory past the limit. Text only: a NUL byte ends it as binary data.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AclInvalidError, InputTooLargeError, NoSuchFileError, fromSystemError } from '../errors.js';

/** Default size limit of a non-capture input: 64 MiB. */
export const DEFAULT_MAX_INPUT_BYTES = 64 << 20;

/** How the bounded reader reads one input. */
export interface InputReadOptions {
  /** Size limit in bytes (default DEFAULT_MAX_INPUT_BYTES). */
  maxBytes?: number | undefined;
  /** What the input should be, for messages: 'an ACL file', 'a topology file', ... */
  what: string;
}

const READ_CHUNK = 1 << 20;
/** How long to wait before retrying a read that would block (a non-blocking descriptor), in ms. */
const RETRY_MS = 5;
const retryCell = new Int32Array(new SharedArrayBuffer(4));

/** "64 MiB", "1.5 KiB", "10 bytes". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number(v.toFixed(1))} ${units[u]}`;
}

/** The bytes of `file` (a regular file, FIFO, device or socket path), at most `maxBytes` of them, else an error. */
export function readInputBytes(file: string, opts: InputReadOptions): Buffer {
  const max = opts.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  const limit = `the ${formatBytes(max)} limit for ${opts.what.replace(/^an? /, '')}s`;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw fromSystemError(file, e, opts.what);
  }
  try {
    let st;
    try {
      st = fstatSync(fd);
    } catch (e) {
      throw fromSystemError(file, e, opts.what);
    }
    if (st.isDirectory()) throw new NoSuchFileError(file, `is a directory, not ${opts.what}`);
    if (st.isFile() && st.size > max) {
      const size = formatBytes(st.size) === formatBytes(max) ? `${st.size} bytes` : formatBytes(st.size);
      throw new InputTooLargeError(file, `${size}, larger than ${limit}`);
    }
    // A regular file is read in one piece of its size (+1 to see growth); anything else in chunks.
    const chunks: Buffer[] = [];
    let total = 0;
    let utf16 = false;
    for (;;) {
      const want = st.isFile() && total === 0 ? Math.min(st.size + 1, max + 1) : READ_CHUNK;
      const chunk = Buffer.allocUnsafe(Math.min(want, max + 1 - total));
      const n = readSome(fd, chunk, file, opts.what);
      if (n === 0) break;
      if (total === 0) utf16 = n >= 2 && ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff));
      const nul = utf16 ? -1 : chunk.indexOf(0);
      if (nul >= 0 && nul < n) throw new AclInvalidError(file, `binary data (a NUL byte at offset ${total + nul}), not ${opts.what}`);
      total += n;
      if (total > max) throw new InputTooLargeError(file, `larger than ${limit} (stopped reading there)`);
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** The text of `file`, read by readInputBytes: UTF-8, or UTF-16 when it starts with a UTF-16 byte-order mark (PowerShell's `>`). */
export function readInputText(file: string, opts: InputReadOptions): string {
  const b = readInputBytes(file, opts);
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return b.subarray(2).toString('utf16le');
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return Buffer.from(b.subarray(2, 2 + ((b.length - 2) & ~1))).swap16().toString('utf16le');
  return b.toString('utf8').replace(/^\uFEFF/, '');
}

function readSome(fd: number, buf: Buffer, file: string, what: string): number {
  for (;;) {
    try {
      return readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        Atomics.wait(retryCell, 0, 0, RETRY_MS);
        continue;
      }
      if (code === 'EINTR') continue;
      throw fromSystemError(file, e, what);
    }
  }
}
